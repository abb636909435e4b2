package awsx

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// ssmBatch is the most names one GetParameters call accepts.
const ssmBatch = 10

// SSMStore reads the parameters under a path prefix of AWS Systems Manager
// Parameter Store; it implements config.ParamStore. SecureString values are
// decrypted (the caller needs kms:Decrypt on their key).
type SSMStore struct {
	client *ssm.Client
	cfg    aws.Config
	prefix string
	// Logger receives a line naming the parameters that were not found;
	// nil means slog.Default().
	Logger *slog.Logger
}

var ssmPrefixRE = regexp.MustCompile(`^(/[a-zA-Z0-9_.-]+)+$`)

// NewSSMStore returns a store of the parameters under prefix, such as
// /kafka_spark_demo, whose name kafka_servers is then the parameter
// /kafka_spark_demo/kafka_servers. A missing leading slash is added and a
// trailing one dropped. optFns tune the SSM client. No call is made until
// Params.
func NewSSMStore(cfg aws.Config, prefix string, optFns ...func(*ssm.Options)) (*SSMStore, error) {
	p := "/" + strings.Trim(prefix, "/")
	if !ssmPrefixRE.MatchString(p) {
		return nil, fmt.Errorf("--ssm-prefix %q is not a parameter path: use letters, digits, _ . - separated by /, such as /kafka_spark_demo", prefix)
	}
	return &SSMStore{client: ssm.NewFromConfig(cfg, optFns...), cfg: cfg, prefix: p}, nil
}

// Prefix returns the path prefix, with its leading slash.
func (s *SSMStore) Prefix() string { return s.prefix }

// Path returns the full parameter name of name.
func (s *SSMStore) Path(name string) string { return s.prefix + "/" + name }

// Params reads the named parameters, ten per GetParameters call, decrypting
// SecureString values. Names the store does not hold are absent from the
// result; if it holds none of them, that is an error (the prefix or the
// region is likely wrong).
func (s *SSMStore) Params(ctx context.Context, names []string) (map[string]string, error) {
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	out := make(map[string]string, len(names))
	if len(names) == 0 {
		return out, nil
	}
	op := fmt.Sprintf("read SSM parameters under %s in %s", s.prefix, s.cfg.Region)
	if _, err := CheckCredentials(ctx, s.cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var missing []string
	for batch := range slices.Chunk(names, ssmBatch) {
		paths := make([]string, len(batch))
		for i, n := range batch {
			paths[i] = s.Path(n)
		}
		res, err := s.client.GetParameters(ctx, &ssm.GetParametersInput{Names: paths, WithDecryption: aws.Bool(true)})
		if err != nil {
			return nil, Explain(op, err, fmt.Sprintf("ssm:GetParameters on arn:aws:ssm:%s:<account>:parameter%s/* (and kms:Decrypt on the key of SecureString values)", s.cfg.Region, s.prefix))
		}
		for _, p := range res.Parameters {
			if p.Name == nil || p.Value == nil {
				continue
			}
			if n, ok := strings.CutPrefix(*p.Name, s.prefix+"/"); ok {
				out[n] = *p.Value
			}
		}
		for _, p := range res.InvalidParameters {
			missing = append(missing, p)
		}
	}
	if len(out) == 0 && len(missing) > 0 {
		return nil, &Error{Op: op, Kind: NotFound, Err: fmt.Errorf("parameters %s do not exist", strings.Join(missing, ", ")),
			Hint: "check --ssm-prefix, and that --aws-region is the region where the parameters are stored"}
	}
	if len(missing) > 0 {
		s.logger().Info("SSM parameters not found; their settings keep their defaults", "parameters", missing)
	}
	return out, nil
}

func (s *SSMStore) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
