package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// A Node function's error payload is AWS's Node runtime's: errorType,
// errorMessage and trace starting "Error: <message>"; a runtime AWS retired
// runs on the local Node.js with a warning naming its version.
func TestNodeErrorPayloadAndRetiredRuntime(t *testing.T) {
	t.Parallel()
	m := setup(t, 1)
	c := lambdaClient(m)
	createFunction(t, c, fnSpec{name: "old", runtime: "nodejs16.x", handler: "index.handler",
		zip: zipFiles(map[string]string{"index.js": `exports.handler = async () => { throw new Error('boom'); };`}, 0o644)})
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("old"), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.FunctionError) != "Unhandled" {
		t.Fatalf("FunctionError %q, payload %s", aws.ToString(out.FunctionError), out.Payload)
	}
	var p struct {
		ErrorType    string   `json:"errorType"`
		ErrorMessage string   `json:"errorMessage"`
		Trace        []string `json:"trace"`
	}
	if err := json.Unmarshal(out.Payload, &p); err != nil {
		t.Fatalf("%v: %s", err, out.Payload)
	}
	if p.ErrorType != "Error" || p.ErrorMessage != "boom" || len(p.Trace) < 2 || p.Trace[0] != "Error: boom" ||
		!strings.Contains(p.Trace[1], "index.js") {
		t.Errorf("payload %s, want errorType Error, errorMessage boom, trace [\"Error: boom\", \"    at ... index.js ...\"]", out.Payload)
	}
	version, err := exec.Command("node", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	logs, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	want := "runtime nodejs16.x is retired by AWS (Ferry targets nodejs18.x and later); this function runs on the local Node.js " + strings.TrimSpace(string(version))
	if !strings.Contains(string(logs), want) {
		t.Errorf("logs do not warn %q:\n%s", want, logs)
	}
}
