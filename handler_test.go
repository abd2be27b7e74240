package ferry_test

import (
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
)

func TestValidateHandler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		runtime, handler string
		ok               bool
	}{
		{"nodejs20.x", "index.handler", true},
		{"nodejs20.x", "src/app.main", true},
		{"nodejs20.x", "src/app.handlers.main", true},
		{"nodejs20.x", "./src/app.main", true},
		{"nodejs20.x", "/etc/passwd.handler", false},
		{"nodejs20.x", "/tmp/x/index.handler", false},
		{"nodejs20.x", "../index.handler", false},
		{"nodejs20.x", "src/../../index.handler", false},
		{"nodejs20.x", `..\index.handler`, false},
		{"nodejs20.x", "index .handler", false},
		{"nodejs20.x", "a." + strings.Repeat("b", 127), false},
		{"provided.al2023", "bootstrap", true},
		{"provided.al2023", "", true},
		{"provided.al2023", "/usr/bin/bootstrap", false},
		{"provided.al2023", "../bootstrap", false},
		{"", "/x.y", false},
	}
	for _, tt := range tests {
		err := ferry.ValidateHandler(tt.handler)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateHandler(%q, %q) = %v, want ok=%v", tt.runtime, tt.handler, err, tt.ok)
		}
		if err != nil && ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("ValidateHandler(%q, %q) code = %s", tt.runtime, tt.handler, ferry.ErrorCode(err))
		}
	}
}
