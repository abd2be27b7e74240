package stack_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/stack"
)

// A function of a runtime Ferry cannot run (Java, Ruby, .NET, ...) does not
// stop the stack: it is kept with its runtime and reported at its position;
// --strict makes the report an error at file:line.
func TestRefusedRuntimesWarn(t *testing.T) {
	t.Parallel()
	sls := slsHead + "functions:\n  ok:\n    handler: h.f\n  rb:\n    handler: h.f\n    runtime: ruby3.3\n"
	sam := "Transform: AWS::Serverless-2016-10-31\nResources:\n  Js:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: h.f\n      Runtime: nodejs20.x\n" +
		"  Jv:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: maven\n    Properties:\n      CodeUri: target/app.jar\n      Handler: example.App::handleRequest\n      Runtime: java21\n" +
		"  Net:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: App::App.Function::Handler\n      Runtime: dotnet8\n"
	for _, c := range []struct {
		file, body string
		runnable   string
		want       []string // refused function name -> "line:col: key: message"
	}{
		{"serverless.yml", sls, "s-dev-ok", []string{
			`:10:14: functions.rb.runtime: function s-dev-rb will not run: runtime "ruby3.3" is not supported by Ferry`}},
		{"template.yaml", sam, "Js", []string{
			`:15:16: Resources.Jv.Properties.Runtime: function Jv will not run: runtime "java21" is not supported by Ferry`,
			`:20:16: Resources.Net.Properties.Runtime: function Net will not run: runtime "dotnet8" is not supported by Ferry`}},
	} {
		t.Run(c.file, func(t *testing.T) {
			p := writeStack(t, c.file, c.body)
			if err := os.MkdirAll(filepath.Join(filepath.Dir(p), "target"), 0o755); err != nil {
				t.Fatal(err)
			}
			st, warns, err := stack.LoadFile(p, setup(t))
			if err != nil {
				t.Fatalf("a stack with a refused runtime did not load: %v", err)
			}
			if len(warns) != len(c.want) {
				t.Fatalf("warnings %v, want %d", warns, len(c.want))
			}
			for i, w := range warns {
				if got := w.String(); !strings.HasPrefix(got, p+c.want[i]) || !w.Refused ||
					!strings.Contains(got, "invoking this one answers InvalidRuntimeException") {
					t.Errorf("warning %q, want it to start with %q", got, p+c.want[i])
				}
			}
			if len(st.Functions) != len(c.want)+1 {
				t.Fatalf("functions %d, want every function kept", len(st.Functions))
			}
			for _, f := range st.Functions {
				runs := f.Runnable() == nil
				if runs != (f.Name == c.runnable) || f.Build != nil {
					t.Errorf("%s (%s): runnable %v, build %v", f.Name, f.Runtime, runs, f.Build)
				}
			}
			opts := setup(t)
			opts.Strict = true
			_, _, err = stack.LoadFile(p, opts)
			if err == nil || ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(err.Error(), p+c.want[0]) {
				t.Errorf("strict: err = %v, want it to contain %q", err, p+c.want[0])
			}
		})
	}
}
