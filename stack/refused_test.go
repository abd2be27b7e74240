package stack_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/stack"
)

// TestRefused loads every testdata/refused/<case>.yml: each names, in its
// first line "# want: ...", the file:line error Ferry must stop with.
// These are stacks Ferry cannot honour (authorizers it cannot check, a
// private route without keys, a handler outside the code folder); serving
// them would open what the file closes.
func TestRefused(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/refused/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yml"), func(t *testing.T) {
			t.Parallel()
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			first, _ := bufio.NewReader(f).ReadString('\n')
			f.Close()
			want, ok := strings.CutPrefix(strings.TrimSpace(first), "# want: ")
			if !ok {
				t.Fatalf("%s: first line must be '# want: <error>'", file)
			}
			st, _, err := stack.LoadFile(file, setup(t))
			if err == nil {
				t.Fatalf("LoadFile accepted the stack (%d routes); want error %q", len(st.Routes), want)
			}
			if got := err.Error(); !strings.Contains(got, file+want) {
				t.Errorf("error:\n  %s\nwant it to contain:\n  %s", got, file+want)
			}
			if ferry.ErrorCode(err) != ferry.EINVALID {
				t.Errorf("code = %s, want %s", ferry.ErrorCode(err), ferry.EINVALID)
			}
		})
	}
}
