package registryserver

import (
	"errors"
	"fmt"
	"net/http"
)

// apiError is an error answered to the client: an HTTP status, an
// Apicurio-style exception name, a message that says what is wrong and what
// to do, rule violation causes, and the ccompat error code.
type apiError struct {
	status int
	name   string
	msg    string
	causes []ruleCause
	code   int // ccompat error_code; the status when 0
}

func (e *apiError) Error() string { return e.msg }

func newAPIError(status int, name, format string, args ...any) *apiError {
	return &apiError{status: status, name: name, msg: fmt.Sprintf(format, args...)}
}

func (e *apiError) withCode(code int) *apiError {
	e.code = code
	return e
}

func badRequest(format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, "BadRequestException", format, args...)
}

func notFound(name, format string, args ...any) *apiError {
	return newAPIError(http.StatusNotFound, name, format, args...)
}

func conflict(name, format string, args ...any) *apiError {
	return newAPIError(http.StatusConflict, name, format, args...)
}

func artifactNotFound(groupID, artifactID string) *apiError {
	return notFound("ArtifactNotFoundException",
		"No artifact with ID '%s' in group '%s' was found.", artifactID, groupID).withCode(40401)
}

func versionNotFound(groupID, artifactID, version string) *apiError {
	return notFound("VersionNotFoundException",
		"No version '%s' found for artifact with ID '%s' in group '%s'.", version, artifactID, groupID).withCode(40402)
}

func ruleViolation(causes []ruleCause) *apiError {
	e := conflict("RuleViolationException", "The new content violates the artifact's rules: %s", causes[0].Description)
	e.causes = causes
	return e
}

// asAPIError turns any error into the apiError to answer; errors that are not
// apiErrors are server faults.
func asAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	return newAPIError(http.StatusInternalServerError, "InternalServerError", "internal error: %v", err)
}
