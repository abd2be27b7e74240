package ferry

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	s := time.Second
	for _, c := range []struct {
		n    int
		want time.Duration
	}{{0, s}, {1, s}, {2, 2 * s}, {3, 4 * s}, {9, 256 * s}, {10, 300 * s}, {1000, 300 * s}} {
		if got := Backoff(c.n, s, 5*time.Minute); got != c.want {
			t.Errorf("Backoff(%d) = %v, want %v", c.n, got, c.want)
		}
	}
	if got := Backoff(3, 10*time.Millisecond, 15*time.Millisecond); got != 15*time.Millisecond {
		t.Errorf("a ceiling between two steps caps: %v", got)
	}
}
