package awstest

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-msk-iam-sasl-signer-go/signer"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// TestVerifyMSKToken checks the verifier against tokens made by the MSK
// signer: a genuine token passes, and each kind of defect is caught.
func TestVerifyMSKToken(t *testing.T) {
	ctx := context.Background()
	mint := func(k Keys, region string) string {
		t.Helper()
		tok, _, err := signer.GenerateAuthTokenFromCredentialsProvider(ctx, region,
			credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, k.SessionToken))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := mint(TestKeys(), "eu-west-1")
	// tamper rewrites one query parameter of the token's URL.
	tamper := func(key, val string) string {
		raw, _ := base64.RawURLEncoding.DecodeString(good)
		u, _ := url.Parse(string(raw))
		q := u.Query()
		q.Set(key, val)
		u.RawQuery = q.Encode()
		return base64.RawURLEncoding.EncodeToString([]byte(u.String()))
	}
	wrongSecret := TestKeys()
	wrongSecret.SecretAccessKey = "wrong"
	session := Keys{AccessKeyID: "ASIASESSION", SecretAccessKey: "s", SessionToken: "tok"}
	now := time.Now()
	tests := []struct {
		name  string
		token string
		keys  Keys
		now   time.Time
		want  string // "" for success
	}{
		{"genuine", good, TestKeys(), now, ""},
		{"genuine with session token", mint(session, "eu-west-1"), session, now, ""},
		{"user agent is not signed", tamper("User-Agent", "other"), TestKeys(), now, ""},
		{"wrong secret", mint(wrongSecret, "eu-west-1"), TestKeys(), now, "SignatureDoesNotMatch"},
		{"other region", mint(TestKeys(), "us-east-1"), TestKeys(), now, "is not https://kafka.eu-west-1.amazonaws.com/"},
		{"other action", tamper("Action", "kafka-cluster:DescribeCluster"), TestKeys(), now, "not kafka-cluster:Connect"},
		{"longer expiry", tamper("X-Amz-Expires", "899"), TestKeys(), now, "SignatureDoesNotMatch"},
		{"expired", good, TestKeys(), now.Add(16 * time.Minute), "expired"},
		{"from the future", good, TestKeys(), now.Add(-time.Hour), "future"},
		{"not base64", "%%%", TestKeys(), now, "base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := VerifyMSKToken(tt.token, tt.keys, "eu-west-1", tt.now)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tok.AccessKeyID != tt.keys.AccessKeyID || tok.Signature == "" || !tok.Expires.After(tok.Signed) {
					t.Errorf("bad token details %+v", tok)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := VerifyMSKToken(good, TestKeys(), "eu-west-1", now.Add(16*time.Minute)); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("expired token error %v is not ErrTokenExpired", err)
	}
}
