package registryconn

import (
	"errors"
	"fmt"
	"strings"

	"github.com/salesstream/salesstream/pkg/registry"
)

// The hints the binaries add to the registry client's errors, in their
// users' words.
const (
	// UnreachableHint ends the message of an unreachable registry.
	UnreachableHint = `start the embedded stack with "go run ./cmd/devstack" or set --registry-url / REGISTRY_URL`
	// RegisterHint ends the message of an artifact the pipeline expects
	// and the registry does not have.
	RegisterHint = `register the schemas first with "go run ./cmd/schemas"`
)

// Hint adds to err what a user of the binaries can do about it: start
// the registry or point --registry-url at it when it is unreachable,
// register the schemas when an artifact is not found. Other errors, nil,
// and errors that carry their hint already, are returned as they are.
func Hint(err error) error {
	if err == nil || strings.Contains(err.Error(), UnreachableHint) || strings.Contains(err.Error(), RegisterHint) {
		return err
	}
	if errors.Is(err, registry.ErrNotFound) {
		return fmt.Errorf("%w: %s", err, RegisterHint)
	}
	var ue *registry.UnavailableError
	if errors.As(err, &ue) && !ue.Timeout() {
		return fmt.Errorf("%w: %s", err, UnreachableHint)
	}
	return err
}
