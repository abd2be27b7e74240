package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ferry-run/ferry"
)

// setup starts a whole Ferry server in-process on a fresh data dir.
func setup(t testing.TB, scale float64) *Main {
	t.Helper()
	return setupWith(t, Config{ClockScale: scale})
}

// setupWith starts a server with cfg on a fresh data dir and free ports.
func setupWith(t testing.TB, cfg Config) *Main {
	t.Helper()
	cfg.DataDir, cfg.APIAddr, cfg.GatewayAddr = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	m := NewMain(cfg)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

func lambdaClient(m *Main) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(m.APIURL()),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		// Throttles must reach the test, not the SDK's retryer.
		RetryMaxAttempts: 1,
	})
}

var (
	goBootstrapOnce sync.Once
	goBootstrap     []byte
	goBootstrapErr  error
)

// payfnZip is the zip of the aws-lambda-go test function, built once.
func payfnZip(t testing.TB) []byte {
	t.Helper()
	goBootstrapOnce.Do(func() {
		dir, err := os.MkdirTemp("", "payfn")
		if err != nil {
			goBootstrapErr = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "bootstrap")
		cmd := exec.Command("go", "build", "-o", out, "./testdata/payfn")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			goBootstrapErr = &buildError{string(b)}
			return
		}
		bin, err := os.ReadFile(out)
		if err != nil {
			goBootstrapErr = err
			return
		}
		goBootstrap = zipFiles(map[string]string{"bootstrap": string(bin)}, 0o755)
	})
	if goBootstrapErr != nil {
		t.Fatal(goBootstrapErr)
	}
	return goBootstrap
}

type buildError struct{ out string }

func (e *buildError) Error() string { return "go build payfn: " + e.out }

func zipFiles(files map[string]string, mode os.FileMode) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			panic(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// nodePay is the Node.js twin of payfn.
const nodePay = `exports.handler = async (event, context) => {
  console.log("paying", event.id);
  if (event.sleepMs) await new Promise(r => setTimeout(r, event.sleepMs));
  if (event.exit) process.exit(3);
  if (event.fail) { const e = new Error("card declined for " + event.id); e.name = "PaymentError"; throw e; }
  return { id: event.id, paid: event.amount, requestId: context.awsRequestId };
};
`

type fnSpec struct {
	name, runtime string
	zip           []byte
	handler       string
	timeout       int32
	env           map[string]string
}

func nodeFn(name string) fnSpec {
	return fnSpec{name: name, runtime: "nodejs20.x", handler: "index.handler",
		zip: zipFiles(map[string]string{"index.js": nodePay}, 0o644)}
}

func goFn(t testing.TB, name string) fnSpec {
	return fnSpec{name: name, runtime: "provided.al2023", handler: "bootstrap", zip: payfnZip(t)}
}

func createFunction(t testing.TB, c *lambda.Client, f fnSpec) {
	t.Helper()
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(f.name), Runtime: types.Runtime(f.runtime), Handler: aws.String(f.handler),
		Role: aws.String("arn:aws:iam::000000000000:role/lambda"), Code: &types.FunctionCode{ZipFile: f.zip},
	}
	if f.timeout > 0 {
		in.Timeout = aws.Int32(f.timeout)
	}
	if f.env != nil {
		in.Environment = &types.Environment{Variables: f.env}
	}
	if _, err := c.CreateFunction(context.Background(), in); err != nil {
		t.Fatalf("create %s: %v", f.name, err)
	}
}

func putDestinations(t testing.TB, c *lambda.Client, fn string, retries int32, onSuccess, onFailure string) {
	t.Helper()
	dc := &types.DestinationConfig{}
	if onSuccess != "" {
		dc.OnSuccess = &types.OnSuccess{Destination: aws.String(onSuccess)}
	}
	if onFailure != "" {
		dc.OnFailure = &types.OnFailure{Destination: aws.String(onFailure)}
	}
	_, err := c.PutFunctionEventInvokeConfig(context.Background(), &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String(fn), MaximumRetryAttempts: aws.Int32(retries), DestinationConfig: dc,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func invokeAsync(t testing.TB, c *lambda.Client, fn string, payload any) string {
	t.Helper()
	b, _ := json.Marshal(payload)
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String(fn), InvocationType: types.InvocationTypeEvent, Payload: b,
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 202 {
		t.Fatalf("Event invoke status %d, want 202", out.StatusCode)
	}
	return requestIDOf(t, out.ResultMetadata)
}

// receiveOne long-polls queue for one message and deletes it.
func receiveOne(t testing.TB, m *Main, queue string, within time.Duration) ferry.Message {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		msgs, err := m.Queues.ReceiveMessages(context.Background(), queue, ferry.ReceiveOptions{MaxMessages: 1, WaitTime: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 1 {
			if err := m.Queues.DeleteMessage(context.Background(), queue, msgs[0].ReceiptHandle); err != nil {
				t.Fatal(err)
			}
			return msgs[0]
		}
	}
	t.Fatalf("no message on queue %s within %v", queue, within)
	return ferry.Message{}
}

func createQueue(t testing.TB, m *Main, name string) string {
	t.Helper()
	if _, err := m.Queues.CreateQueue(context.Background(), name, nil); err != nil {
		t.Fatal(err)
	}
	return m.Config.Realm.QueueARN(name)
}

// record decodes an invocation record.
func record(t testing.TB, body string) map[string]any {
	t.Helper()
	var r map[string]any
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("record is not JSON: %v\n%s", err, body)
	}
	return r
}

func path(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// dashToken is the token the dashboard's and control API's calls carry,
// read the way the dashboard page and the ferry command line read it.
func dashToken(t testing.TB, m *Main) string {
	t.Helper()
	resp, err := http.Get(m.APIURL() + tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.Token == "" {
		t.Fatalf("token answer: %d %v", resp.StatusCode, err)
	}
	return tok.Token
}
