package ferry_test

import (
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
)

func TestRuntimeFamily(t *testing.T) {
	t.Parallel()
	for rt, want := range map[string]string{
		"provided": "provided", "provided.al2": "provided", "provided.al2023": "provided",
		"nodejs18.x": "nodejs", "nodejs20.x": "nodejs", "nodejs22.x": "nodejs", "nodejs24.x": "nodejs",
		"python3.9": "python", "python3.12": "python", "python3.13": "python", "python3.8": "", "python3.14": "",
		"nodejs": "", "nodejs.x": "", "nodejsX.x": "", "provided.al2024": "", "java21": "", "": "",
	} {
		got, err := ferry.RuntimeFamily(rt)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("RuntimeFamily(%q) = %q, %v; want %q", rt, got, err, want)
		}
		if err != nil && ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("RuntimeFamily(%q): code %q", rt, ferry.ErrorCode(err))
		}
	}
	// A function of a runtime Ferry cannot run is kept, and refused by name when run.
	for _, rt := range []string{"java21", "ruby3.3", "dotnet8", "go1.x"} {
		fn := &ferry.Function{Name: "f", Runtime: rt, Handler: "a::b"}
		if err := fn.Validate(); err != nil {
			t.Errorf("%s: Validate = %v, want the function kept", rt, err)
		}
		err := fn.Runnable()
		if ferry.ErrorCode(err) != ferry.ERUNTIME || !strings.Contains(err.Error(), `function f cannot run: runtime "`+rt+`" is not supported by Ferry`) {
			t.Errorf("%s: Runnable = %v, want ERUNTIME naming the runtime", rt, err)
		}
	}
	if err := (&ferry.Function{Name: "f", Runtime: "nodejs20.x"}).Runnable(); err != nil {
		t.Errorf("nodejs20.x: Runnable = %v", err)
	}
	if err := (&ferry.Function{Name: "f", Runtime: "java 21"}).Validate(); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("a runtime with a space validated: %v", err)
	}
}
