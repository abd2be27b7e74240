package ferry_test

import (
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
)

func TestValidateHandler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		handler string
		ok      bool
	}{
		{"index.handler", true},
		{"src/app.main", true},
		{"src/app.handlers.main", true},
		{"./src/app.main", true},
		{"/etc/passwd.handler", false},
		{"/tmp/x/index.handler", false},
		{"../index.handler", false},
		{"src/../../index.handler", false},
		{`..\index.handler`, false},
		{"index .handler", false},
		{"a." + strings.Repeat("b", 127), false},
		{"bootstrap", true},
		{"", true},
		{"/usr/bin/bootstrap", false},
		{"../bootstrap", false},
		{"/x.y", false},
	}
	for _, tt := range tests {
		err := ferry.ValidateHandler(tt.handler)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateHandler(%q) = %v, want ok=%v", tt.handler, err, tt.ok)
		}
		if err != nil && ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("ValidateHandler(%q) code = %s", tt.handler, ferry.ErrorCode(err))
		}
	}
}
