package sandbox

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func envMap() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// An instance's AWS SDKs are pointed at Ferry's API port, in the configured
// region, with the function's own credentials.
func TestInstanceSeesFerryAsAWS(t *testing.T) {
	b := setup(t, Options{
		APIEndpoint: "http://127.0.0.1:4599",
		Credentials: func(fn string) (string, string) { return "FNKEY" + strings.ToUpper(fn), "secret-" + fn },
	})
	fn := fakeFn(t, "envfn", "env")
	res := b.invoke(t, fn, `{}`)
	if res.FunctionError != "" {
		t.Fatalf("function error %s: %s", res.FunctionError, res.Payload)
	}
	var env map[string]string
	if err := json.Unmarshal(res.Payload, &env); err != nil {
		t.Fatalf("%v: %s", err, res.Payload)
	}
	want := map[string]string{
		"AWS_ENDPOINT_URL":             "http://127.0.0.1:4599",
		"AWS_ENDPOINT_URL_SQS":         "http://127.0.0.1:4599",
		"AWS_ENDPOINT_URL_SNS":         "http://127.0.0.1:4599",
		"AWS_ENDPOINT_URL_EVENTBRIDGE": "http://127.0.0.1:4599",
		"AWS_ENDPOINT_URL_LAMBDA":      "http://127.0.0.1:4599",
		"AWS_REGION":                   "us-east-1",
		"AWS_DEFAULT_REGION":           "us-east-1",
		"AWS_ACCESS_KEY_ID":            "FNKEYENVFN",
		"AWS_SECRET_ACCESS_KEY":        "secret-envfn",
		"AWS_LAMBDA_FUNCTION_NAME":     "envfn",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if tok, ok := env["AWS_SESSION_TOKEN"]; ok {
		t.Errorf("AWS_SESSION_TOKEN = %q with a function's own key", tok)
	}
}
