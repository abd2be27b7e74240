package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/spf13/pflag"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/web"
)

// clientFlags are the flags of the commands that talk to a running server
// through its AWS APIs.
type clientFlags struct {
	endpoint, region, accessKey, secretKey string
	// token is the server's token for its own endpoints, read once.
	token string
}

func (f *clientFlags) register(fs *pflag.FlagSet) {
	def := os.Getenv("FERRY_ENDPOINT")
	if def == "" {
		def = os.Getenv("AWS_ENDPOINT_URL")
	}
	if def == "" {
		def = ferry.DefaultAPIURL
	}
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = ferry.DefaultRegion
	}
	fs.StringVar(&f.endpoint, "endpoint", def, "Ferry's AWS API endpoint (env FERRY_ENDPOINT or AWS_ENDPOINT_URL)")
	fs.StringVar(&f.region, "region", region, "region")
	fs.StringVar(&f.accessKey, "access-key", envOr("AWS_ACCESS_KEY_ID", "ferry"), "access key id (signs requests when the server requires it)")
	fs.StringVar(&f.secretKey, "secret-key", envOr("AWS_SECRET_ACCESS_KEY", "ferry"), "secret access key")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func (f *clientFlags) creds() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(f.accessKey, f.secretKey, "")
}

func (f *clientFlags) lambda() *lambda.Client {
	return lambda.New(lambda.Options{Region: f.region, BaseEndpoint: aws.String(f.endpoint), Credentials: f.creds(), RetryMaxAttempts: 1})
}

func (f *clientFlags) sqs() *sqs.Client {
	return sqs.New(sqs.Options{Region: f.region, BaseEndpoint: aws.String(f.endpoint), Credentials: f.creds(), RetryMaxAttempts: 1})
}

func (f *clientFlags) sns() *sns.Client {
	return sns.New(sns.Options{Region: f.region, BaseEndpoint: aws.String(f.endpoint), Credentials: f.creds(), RetryMaxAttempts: 1})
}

func (f *clientFlags) events() *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{Region: f.region, BaseEndpoint: aws.String(f.endpoint), Credentials: f.creds(), RetryMaxAttempts: 1})
}

// topicARN turns a topic name into its ARN.
func (f *clientFlags) topicARN(name string) string {
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	return ferry.Realm{Region: f.region, Account: ferry.DefaultAccount}.TopicARN(name)
}

// argBody reads a command argument: "@file" reads the file, "-" stdin,
// anything else is the value itself.
func argBody(s string) ([]byte, error) {
	switch {
	case s == "-":
		return readAll(os.Stdin)
	case strings.HasPrefix(s, "@"):
		b, err := os.ReadFile(s[1:])
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", s[1:], err)
		}
		return b, nil
	}
	return []byte(s), nil
}

// call makes a request to one of Ferry's own endpoints and decodes the
// JSON answer into out (when out is not nil). Error answers become errors
// carrying the server's message.
func (f *clientFlags) call(ctx context.Context, method, path string, body any, out any) error {
	if f.token == "" {
		var tok struct{ Token string }
		if err := f.do(ctx, http.MethodGet, tokenPath, nil, &tok); err != nil {
			return err
		}
		f.token = tok.Token
	}
	return f.do(ctx, method, path, body, out)
}

// do makes one request to one of Ferry's own endpoints, with the token
// when it is known.
func (f *clientFlags) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(f.endpoint, "/")+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(f.accessKey, f.secretKey)
	if f.token != "" {
		req.Header.Set(web.TokenHeader, f.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s", e.Error)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out == nil {
		return nil
	}
	if s, ok := out.(*string); ok {
		*s = string(b)
		return nil
	}
	return json.Unmarshal(b, out)
}
