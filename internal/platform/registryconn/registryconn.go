// Package registryconn builds registry clients from configuration: the one
// place that declares how every binary reaches the schema registry.
package registryconn

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/salesstream/salesstream/internal/platform/config"
	"github.com/salesstream/salesstream/pkg/registry"
)

// DefaultURL is the embedded stack's registry.
const DefaultURL = "http://127.0.0.1:8080"

// Config says how to reach the registry.
type Config struct {
	URL     string
	API     string // v3 or v2
	Group   string
	Timeout time.Duration
	// Basic authentication.
	Username, Password string
	// OAuth2 client credentials (Keycloak).
	TokenURL, ClientID, ClientSecret string
	CAFile                           string
}

// Register declares the registry settings in s.
func (c *Config) Register(s *config.Set) {
	s.String(&c.URL, "registry-url", DefaultURL, "Apicurio Registry base URL",
		config.Env("REGISTRY_URL"), config.Param("schema_registry_url_int"))
	s.String(&c.API, "registry-api", "v3", "registry REST API: v3 (Apicurio 3) or v2 (Apicurio 2)", config.Env("REGISTRY_API"))
	s.String(&c.Group, "registry-group", registry.DefaultGroup, "artifact group", config.Env("REGISTRY_GROUP"))
	s.Duration(&c.Timeout, "registry-timeout", registry.DefaultTimeout, "timeout of one registry request", config.Env("REGISTRY_TIMEOUT"))
	s.String(&c.Username, "registry-username", "", "registry basic-auth user", config.Env("REGISTRY_USERNAME"))
	s.String(&c.Password, "registry-password", "", "registry basic-auth password", config.Env("REGISTRY_PASSWORD"), config.Secret())
	s.String(&c.TokenURL, "registry-token-url", "", "OAuth2 token endpoint (client credentials), e.g. Keycloak's .../protocol/openid-connect/token", config.Env("REGISTRY_TOKEN_URL"))
	s.String(&c.ClientID, "registry-client-id", "", "OAuth2 client id", config.Env("REGISTRY_CLIENT_ID"))
	s.String(&c.ClientSecret, "registry-client-secret", "", "OAuth2 client secret", config.Env("REGISTRY_CLIENT_SECRET"), config.Secret())
	s.String(&c.CAFile, "registry-ca-file", "", "PEM file of CA certificates to trust for the registry's TLS", config.Env("REGISTRY_CA_FILE"))
}

// Client returns a client of the configured registry.
func (c Config) Client(log *slog.Logger) (*registry.Client, error) {
	var opts []registry.Option
	if c.Group != "" {
		opts = append(opts, registry.WithGroup(c.Group))
	}
	if c.Timeout > 0 {
		opts = append(opts, registry.WithTimeout(c.Timeout))
	}
	switch c.API {
	case "v3", "":
	case "v2":
		opts = append(opts, registry.WithAPIV2())
	default:
		return nil, fmt.Errorf("--registry-api %q: want v3 or v2", c.API)
	}
	if c.Username != "" {
		opts = append(opts, registry.WithBasicAuth(c.Username, c.Password))
	}
	if c.TokenURL != "" {
		opts = append(opts, registry.WithOAuth2ClientCredentials(c.TokenURL, c.ClientID, c.ClientSecret))
	}
	if c.CAFile != "" {
		opts = append(opts, registry.WithCAFile(c.CAFile))
	}
	if log != nil {
		opts = append(opts, registry.WithLogger(log))
	}
	return registry.New(c.URL, opts...)
}

// Connect returns a client and checks that the registry answers, so that a
// wrong URL fails within seconds with an error that says what to do.
func (c Config) Connect(ctx context.Context, log *slog.Logger) (*registry.Client, error) {
	cl, err := c.Client(log)
	if err != nil {
		return nil, err
	}
	if _, _, err := cl.SystemInfo(ctx); err != nil {
		return nil, Hint(err)
	}
	return cl, nil
}
