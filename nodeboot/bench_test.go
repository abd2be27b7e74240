package nodeboot

import (
	"os/exec"
	"syscall"
	"testing"
)

// BenchmarkColdStart compares a bare `node -e 0` (spawn to exit) with the
// bootstrap for a trivial handler (spawn to its first /next request).
func BenchmarkColdStart(b *testing.B) {
	b.Run("node-e-0", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command("node", "-e", "0").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bootstrap", func(b *testing.B) {
		f := setup(b, map[string]string{"index.js": `exports.handler = async () => 'ok';`})
		for b.Loop() {
			p := f.start(b, "index.handler")
			f.api.waitNext(b)
			b.StopTimer()
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
			b.StartTimer()
		}
	})
}

// BenchmarkWarmInvoke measures one invocation of a warm async handler: event
// handed out on /next to its response posted.
func BenchmarkWarmInvoke(b *testing.B) {
	f := setup(b, map[string]string{"index.js": `exports.handler = async (event) => ({ echo: event.n });`})
	f.start(b, "index.handler")
	f.api.waitNext(b)
	for b.Loop() {
		f.api.invoke(b, `{"n":1}`)
		if p := f.api.waitPost(b); p.Kind != "response" {
			b.Fatalf("post %q: %s", p.Kind, p.Body)
		}
	}
}
