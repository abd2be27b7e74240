package ferry_test

import (
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
	fn := &ferry.Function{Name: "f", Runtime: "java21"}
	if err := fn.Validate(); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Fatalf("a java function validated: %v", err)
	}
}
