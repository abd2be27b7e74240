package supervisor

import (
	"os"
	"testing"
)

func BenchmarkReadVmHWM(b *testing.B) {
	for b.Loop() {
		if _, err := readVmHWM(os.Getpid()); err != nil {
			b.Fatal(err)
		}
	}
}
