package ferry

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestWrapKeepsCodeMessageAndCause(t *testing.T) {
	err := Wrap(EUNAVAILABLE, fs.ErrNotExist, "read schedule %q", "nightly")
	if err.Error() != `read schedule "nightly": file does not exist` {
		t.Fatalf("message = %q", err.Error())
	}
	outer := fmt.Errorf("start: %w", err)
	if ErrorCode(outer) != EUNAVAILABLE {
		t.Fatalf("code = %q", ErrorCode(outer))
	}
	if !errors.Is(outer, fs.ErrNotExist) {
		t.Fatal("errors.Is does not see the cause through *Error")
	}
	if ErrorMessage(outer) != err.Message {
		t.Fatalf("ErrorMessage = %q", ErrorMessage(outer))
	}
	if Wrap(EINVALID, nil, "bare").Error() != "bare" || Errorf(EINVALID, "x").Unwrap() != nil {
		t.Fatal("an error without a cause has no cause")
	}
}
