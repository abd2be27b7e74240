package stack_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/stack"
)

// writeStack writes a stack file into a fresh folder and returns its path.
func writeStack(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const slsHead = `service: s
provider:
  name: aws
  runtime: nodejs20.x
`

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, body string
		want             string // the error must contain "<file>:" + want
	}{
		{"bad indentation", "serverless.yml", "service: s\nprovider:\n  name: aws\n runtime: x\n", ":3: invalid YAML: did not find expected key"},
		{"tab", "serverless.yml", "service: s\nprovider:\n\tname: aws\n", ":3: invalid YAML"},
		{"unclosed flow", "serverless.yml", "service: s\nprovider: {name: aws\n", "invalid YAML"},
		{"duplicate key", "serverless.yml", slsHead + "  runtime: python3.12\n", `:5:3: duplicate key "runtime" (first at line 4)`},
		{"two documents", "serverless.yml", slsHead + "---\nservice: t\n", ":5:1: a stack file holds one YAML document"},
		{"not a mapping", "serverless.yml", "- a\n- b\n", ":1:1: the top level must be a mapping"},
		{"self missing", "serverless.yml", slsHead + "  stage: ${self:custom.nope}\n", `:5:10: variable ${self:custom.nope} cannot be resolved: self:custom.nope has no value`},
		{"env missing", "serverless.yml", slsHead + "  environment:\n    A: ${env:FERRY_NOPE_X}\n", `:6:8: variable ${env:FERRY_NOPE_X} cannot be resolved`},
		{"self cycle", "serverless.yml", slsHead + "custom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\n", "circular variable reference"},
		{"unsupported source", "serverless.yml", slsHead + "custom:\n  a: ${ssm:/x}\n", `:6:6: variable source "ssm" in ${ssm:/x} is not supported`},
		{"ref missing", "serverless.yml", slsHead + "  environment:\n    A: !Ref Missing\n", `:6:8: Ref "Missing": no such resource`},
		{"getatt missing", "serverless.yml", slsHead + "  environment:\n    A: !GetAtt Missing.Arn\n", `:6:8: Fn::GetAtt Missing.Arn: no such resource`},
		{"getatt unknown attr", "serverless.yml", slsHead + "  environment:\n    A: !GetAtt Q.Unknown\nresources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n",
			`:6:8: Fn::GetAtt Q.Unknown: unknown attribute "Unknown" of a AWS::SQS::Queue`},
		{"sub missing", "serverless.yml", slsHead + "  environment:\n    A: !Sub '${Nope.Arn}'\n", `Fn::GetAtt Nope.Arn: no such resource`},
		{"unknown intrinsic", "serverless.yml", slsHead + "  environment:\n    A: !FindInMap [a, b, c]\n", `intrinsic function Fn::FindInMap is not supported`},
		{"retry range", "serverless.yml", slsHead + "functions:\n  f:\n    handler: h\n    maximumRetryAttempts: 3\n", `:8:27: functions.f.maximumRetryAttempts must be between 0 and 2, got 3`},
		{"event age range", "serverless.yml", slsHead + "functions:\n  f:\n    handler: h\n    maximumEventAge: 30\n", `:8:22: functions.f.maximumEventAge must be between 60 and 21600, got 30`},
		{"batch size range", "serverless.yml", slsHead + "functions:\n  f:\n    handler: h\n    events:\n      - sqs:\n          arn: arn:aws:sqs:us-east-1:000000000000:q\n          batchSize: 0\n",
			`:11:22: functions.f.events[0].sqs.batchSize must be between 1 and 10000, got 0`},
		{"queue url as arn", "serverless.yml", slsHead + "functions:\n  f:\n    handler: h\n    destinations:\n      onSuccess: !Ref Q\nresources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n",
			`(Ref of a queue is its URL; use Fn::GetAtt <Queue>.Arn)`},
		{"unknown destination", "serverless.yml", slsHead + "functions:\n  f:\n    handler: h\n    destinations:\n      onFailure: nope\n", `:9:18: functions.f.destinations.onFailure: "nope" is neither an ARN nor a function of this service`},
		{"no runtime", "serverless.yml", "service: s\nprovider:\n  name: aws\nfunctions:\n  f:\n    handler: h\n", `:6:5: functions.f: runtime is required`},
		{"not aws", "serverless.yml", "service: s\nprovider:\n  name: azure\n", "provider.name must be aws"},
		{"sam bad ref", "template.yaml", "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: nodejs20.x\n      Handler: i.h\n      Environment:\n        Variables:\n          A: !Ref Missing\n",
			`:10:14: Ref "Missing": no such resource`},
		{"sam bad destination type", "template.yaml", "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: nodejs20.x\n      Handler: i.h\n      EventInvokeConfig:\n        DestinationConfig:\n          OnSuccess:\n            Type: Lambda\n            Destination: arn:aws:sqs:us-east-1:000000000000:q\n",
			`is a queue ARN, want a function`},
		{"sam parameter without default", "template.yaml", "Parameters:\n  P:\n    Type: String\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Ref P\n",
			`:3:5: parameter "P" has no Default`},
		{"neither format", "serverless.yml", "foo: bar\n", "neither a serverless.yml"},
		{"s3 on failure", "serverless.yml", slsHead + "functions:\n  f:\n    handler: h\n    destinations:\n      onFailure: arn:aws:s3:::failures\n",
			`:9:18: functions.f.destinations.onFailure: arn:aws:s3:::failures is an S3 bucket; Ferry has no S3 service`},
		{"sam s3 on failure", "template.yaml", "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: nodejs20.x\n      Handler: i.h\n      EventInvokeConfig:\n        DestinationConfig:\n          OnFailure:\n            Type: S3Bucket\n            Destination: arn:aws:s3:::failures\n",
			`OnFailure.Type S3Bucket: Ferry has no S3 service`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := writeStack(t, tt.file, tt.body)
			_, _, err := stack.LoadFile(p, setup(t))
			if err == nil {
				t.Fatalf("LoadFile succeeded, want error containing %q", tt.want)
			}
			if got := ferry.ErrorCode(err); got != ferry.EINVALID {
				t.Errorf("code = %q, want %q (%v)", got, ferry.EINVALID, err)
			}
			if !strings.HasPrefix(err.Error(), p) {
				t.Errorf("error %q does not start with the file name %q", err, p)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestWarningsAndStrict(t *testing.T) {
	t.Parallel()
	body := slsHead + "  vpc:\n    subnetIds: [a]\nfunctions:\n  f:\n    handler: h\n    layers: [x]\n    events:\n      - kafka: {}\n"
	p := writeStack(t, "serverless.yml", body)
	_, warns, err := stack.LoadFile(p, setup(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range warns {
		got = append(got, w.String())
	}
	want := []string{
		p + `:5:3: unsupported key "provider.vpc": not supported by Ferry; ignored`,
		p + `:10:5: unsupported key "functions.f.layers": not supported by Ferry; ignored`,
		p + `:12:9: unsupported key "functions.f.events[0].kafka": event type kafka is not supported by Ferry; ignored`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	opts := setup(t)
	opts.Strict = true
	_, _, err = stack.LoadFile(p, opts)
	if err == nil || !strings.Contains(err.Error(), "strict mode: 3 unsupported keys or runtimes") || !strings.Contains(err.Error(), "provider.vpc") {
		t.Errorf("strict: err = %v, want the 3 warnings as an error", err)
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	body := slsHead + "  stage: ${opt:stage, 'dev'}\n  environment:\n    COLOR: ${opt:color, 'red'}\n    REGION: ${aws:region}\n    ACCOUNT: '#{AWS::AccountId}'\nfunctions:\n  f:\n    handler: h\n"
	p := writeStack(t, "serverless.yml", body)
	opts := setup(t)
	opts.Stage, opts.Region, opts.Account = "prod", "eu-central-1", "111122223333"
	opts.Options["color"] = "green"
	st, _, err := stack.LoadFile(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	f := st.Functions[0]
	if got, want := f.Name, "s-prod-f"; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
	want := map[string]string{"COLOR": "green", "REGION": "eu-central-1", "ACCOUNT": "111122223333"}
	for k, v := range want {
		if f.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, f.Env[k], v)
		}
	}
	if st.Region != "eu-central-1" || st.Account != "111122223333" || st.Stage != "prod" {
		t.Errorf("realm = %s/%s/%s", st.Stage, st.Region, st.Account)
	}
}

func TestLoadFindsFile(t *testing.T) {
	t.Parallel()
	_, _, err := stack.Load(t.TempDir(), setup(t))
	if ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("empty folder: err = %v, want ENOTFOUND", err)
	}
	p := writeStack(t, "template.yml", "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
	st, _, err := stack.Load(filepath.Dir(p), setup(t))
	if err != nil {
		t.Fatal(err)
	}
	if st.Format != stack.FormatSAM || len(st.Queues) != 1 || st.Queues[0].Name != "Q" {
		t.Errorf("stack = %+v", st)
	}
}

func TestAliasBomb(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(slsHead + "custom:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		b.WriteString("  a" + itoa(i) + ": &a" + itoa(i) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + itoa(i-1))
		}
		b.WriteString("]\n")
	}
	b.WriteString("  events:\n    - eventBridge:\n        pattern: ${self:custom.a11}\n")
	p := writeStack(t, "serverless.yml", b.String())
	_, _, err := stack.LoadFile(p, setup(t))
	if err != nil && !strings.Contains(err.Error(), "too large") {
		t.Errorf("err = %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// FuzzLoad checks that the loader never panics, whatever the input.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.y*ml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, strings.HasPrefix(filepath.Base(s), "template"))
	}
	f.Add([]byte("service: ${self:service}"), false)
	f.Add([]byte("a: &a [*a]"), false)
	f.Add([]byte("Resources: {Q: {Type: AWS::SQS::Queue, Properties: {QueueName: !Sub '${Q.Arn}'}}}"), true)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, sam bool) {
		name := "serverless.yml"
		if sam {
			name = "template.yaml"
		}
		d, err := os.MkdirTemp(dir, "case")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(d)
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				buf := make([]byte, 1<<20)
				panic(fmt.Sprintf("slow input %q\n%s", data, buf[:runtime.Stack(buf, true)]))
			}
		}()
		st, _, err := stack.LoadFile(p, stack.LoadOptions{Env: func(string) (string, bool) { return "", false }})
		if err == nil && st == nil {
			t.Fatal("nil stack without an error")
		}
		if err == nil {
			if verr := st.Validate(); verr != nil {
				t.Fatalf("loaded stack does not validate: %v", verr)
			}
		}
	})
}
