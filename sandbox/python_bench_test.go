package sandbox

import (
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/pyboot"
)

// BenchmarkPythonColdStart measures a cold invoke of a python3.12 function
// (process start, bootstrap, import, first response); compare with
// BenchmarkPythonInterpreterFloor, `python3 -c 0`.
func BenchmarkPythonColdStart(b *testing.B) {
	entry, err := pyboot.Install(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	bin, _, err := pyboot.Resolve("python3")
	if err != nil {
		b.Fatal(err)
	}
	bu := setup(b, Options{PythonBootstrap: entry, PythonBinary: bin})
	dir := b.TempDir()
	if err := writeFile(dir+"/handler.py", "def ok(e, c):\n    return 1\n"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fn := &ferry.Function{Name: "pycold", Runtime: "python3.12", Handler: "handler.ok", CodeDir: dir,
			Timeout: 5 * time.Second, Modified: time.Unix(int64(1_700_000_000+i), 0)}
		res, err := bu.pool.Invoke(context.Background(), fn, &ferry.InvokeRequest{Function: fn.Name, Payload: json.RawMessage(`{}`)})
		if err != nil || res.Failed() || res.InitDuration == 0 {
			b.Fatalf("invoke: %v %+v", err, res)
		}
	}
}

// BenchmarkPythonInterpreterFloor runs `python3 -c 0`.
func BenchmarkPythonInterpreterFloor(b *testing.B) {
	bin, _, err := pyboot.Resolve("python3")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if err := exec.Command(bin, "-c", "0").Run(); err != nil {
			b.Fatal(err)
		}
	}
}
