// Package awsx is salesstream's AWS plumbing: one Config that says how to
// reach AWS (region, optional role to assume, optional endpoint override),
// the SDK configuration it loads from the default credential chain, an SSM
// Parameter Store backend for package config, and errors that say what
// failed and what to check.
//
// The model: every binary has one Config, shared by all packages that talk
// to AWS (Kafka's MSK IAM auth, SSM, S3) through Settings. Load turns it into
// an aws.Config lazily, only when something needs AWS, so a local run never
// touches AWS. Credentials come from the SDK's default chain (environment,
// shared profile, web identity as on EKS with IRSA, container or instance
// role); when RoleARN is set, those credentials assume that role first.
package awsx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/salesstream/salesstream/internal/platform/config"
)

// SessionName names the sessions of roles that salesstream assumes, as seen
// in CloudTrail.
const SessionName = "salesstream"

// Config says how to reach AWS. The zero value uses the SDK's defaults: the
// region from AWS_REGION or the shared profile, and the default credential
// chain.
type Config struct {
	// Region is the AWS region, such as eu-west-1.
	Region string
	// RoleARN, when set, is a role that the default credentials assume
	// before any call.
	RoleARN string
	// EndpointURL, when set, replaces the endpoint of every AWS service (for
	// LocalStack and tests). S3 is then addressed path-style.
	EndpointURL string
	// LoadOptions are passed to the SDK's LoadDefaultConfig after the ones
	// Load derives from the fields above; tests use them to supply static
	// credentials.
	LoadOptions []func(*awsconfig.LoadOptions) error
}

// Settings returns the AWS configuration shared by every package that uses
// s, declaring its settings in s on first use: --aws-region (AWS_REGION),
// --aws-role-arn (AWS_ASSUME_ROLE_ARN) and --aws-endpoint-url
// (AWS_ENDPOINT_URL).
func Settings(s *config.Set) *Config {
	return config.Shared(s, "awsx", func(s *config.Set) *Config {
		c := &Config{}
		c.register(s)
		return c
	})
}

// register declares c's settings. The role's environment variable is not
// AWS_ROLE_ARN: on EKS the IRSA webhook sets that one for the web identity
// role the default chain already uses, and assuming it again would fail.
func (c *Config) register(s *config.Set) {
	s.String(&c.Region, "aws-region", "", "AWS region of MSK, SSM and S3, such as eu-west-1",
		config.Env("AWS_REGION"))
	s.String(&c.RoleARN, "aws-role-arn", "", "IAM role to assume with the default AWS credentials before calling AWS (optional)",
		config.Env("AWS_ASSUME_ROLE_ARN"))
	s.String(&c.EndpointURL, "aws-endpoint-url", "", "endpoint replacing every AWS service's, for LocalStack or tests (optional)",
		config.Env("AWS_ENDPOINT_URL"))
}

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2,5}(-[a-z]+)+-[0-9]{1,2}$`)
	roleARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)
)

// ValidRegion reports whether region is shaped like an AWS region name.
func ValidRegion(region string) bool { return regionRE.MatchString(region) }

// Validate checks the fields' syntax, without calling AWS.
func (c Config) Validate() error {
	if c.Region != "" && !ValidRegion(c.Region) {
		return fmt.Errorf("--aws-region %q is not an AWS region: use a name such as eu-west-1", c.Region)
	}
	if c.RoleARN != "" && !roleARNRE.MatchString(c.RoleARN) {
		return fmt.Errorf("--aws-role-arn %q is not an IAM role ARN: use arn:aws:iam::<account>:role/<name>", c.RoleARN)
	}
	if c.EndpointURL != "" {
		u, err := url.Parse(c.EndpointURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--aws-endpoint-url %q is not an http(s) URL such as http://localhost:4566", c.EndpointURL)
		}
	}
	return nil
}

// Load builds the SDK configuration: region, endpoint override and
// credentials from the default chain, wrapped to assume RoleARN when set.
// It reads the environment and the shared files but calls no AWS service;
// use CheckCredentials to fetch the credentials early.
func (c Config) Load(ctx context.Context) (aws.Config, error) {
	if err := c.Validate(); err != nil {
		return aws.Config{}, err
	}
	var opts []func(*awsconfig.LoadOptions) error
	if c.Region != "" {
		opts = append(opts, awsconfig.WithRegion(c.Region))
	}
	if c.EndpointURL != "" {
		opts = append(opts, awsconfig.WithBaseEndpoint(c.EndpointURL))
	}
	opts = append(opts, c.LoadOptions...)
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w: check AWS_PROFILE, AWS_CONFIG_FILE and the files in ~/.aws", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region configured: set --aws-region or AWS_REGION (for example eu-west-1)")
	}
	if c.RoleARN != "" {
		prov := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), c.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = SessionName
		})
		cfg.Credentials = aws.NewCredentialsCache(prov)
	}
	return cfg, nil
}

// CheckCredentials fetches the credentials of cfg (the SDK caches them), so
// that missing, refused or expired credentials fail early with an *Error
// that says what to check rather than deep inside a later call.
func CheckCredentials(ctx context.Context, cfg aws.Config) (aws.Credentials, error) {
	const op = "get AWS credentials"
	if cfg.Credentials == nil {
		return aws.Credentials{}, &Error{Op: op, Kind: NoCredentials, Err: errors.New("no credentials provider"), Hint: noCredentialsHint}
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		if _, ok := errors.AsType[smithy.APIError](err); ok {
			// A service (STS) answered: assuming a role was refused, or
			// the web identity token was rejected.
			return aws.Credentials{}, Explain(op, err, "sts:AssumeRole (or sts:AssumeRoleWithWebIdentity) in the role's trust policy")
		}
		if e, ok := errors.AsType[*Error](err); ok {
			return aws.Credentials{}, e
		}
		if k := classify(err); k == Unreachable || k == ExpiredCredentials {
			return aws.Credentials{}, Explain(op, err, "")
		}
		return aws.Credentials{}, &Error{Op: op, Kind: NoCredentials, Err: err, Hint: noCredentialsHint}
	}
	if creds.Expired() {
		return aws.Credentials{}, &Error{Op: op, Kind: ExpiredCredentials, Err: errors.New("the credentials have expired"), Hint: expiredHint}
	}
	slog.Debug("AWS credentials found", "source", creds.Source, "region", cfg.Region)
	return creds, nil
}
