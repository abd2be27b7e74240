package cdp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ferry-run/ferry"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testPage = `<!doctype html>
<title>cdp test</title>
<p id="greeting">hello</p>
<script>
  window.sum = (a, b) => a + b;
  setTimeout(() => { document.getElementById('greeting').textContent = 'later'; }, 200);
  console.error('from the page');
</script>`

type bundle struct {
	b   *Browser
	url string
}

// setup starts one browser and a page server for a test.
func setup(t *testing.T) bundle {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(testPage))
	}))
	t.Cleanup(srv.Close)
	return bundle{b: Launch(t), url: srv.URL}
}

func TestBrowser(t *testing.T) {
	t.Parallel()
	s := setup(t)
	p := s.b.Open(t, s.url)

	var title string
	p.Wait(`document.readyState === 'complete' && document.title`, &title, 10*time.Second)
	if title != "cdp test" {
		t.Errorf("title %q, want %q", title, "cdp test")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	raw, err := p.Eval(ctx, `window.sum(2, 3)`)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != "5" {
		t.Errorf("sum = %s, want 5", raw)
	}
	raw, err = p.Eval(ctx, `new Promise((r) => setTimeout(() => r({ok: [1, "two"]}), 10))`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(raw), `{"ok":[1,"two"]}`; got != want {
		t.Errorf("awaited value %s, want %s", got, want)
	}
	if raw, err := p.Eval(ctx, `undefined`); err != nil || len(raw) != 0 {
		t.Errorf("undefined = %q, %v; want empty, nil", raw, err)
	}

	_, err = p.Eval(ctx, `(() => { throw new TypeError('bad thing') })()`)
	if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(err.Error(), "TypeError: bad thing") {
		t.Errorf("exception gave %v (code %q), want EINVALID naming the TypeError", err, ferry.ErrorCode(err))
	}

	// WaitFor sees a change made after a delay; a predicate that stays
	// false times out with the last value.
	raw, err = p.WaitFor(ctx, `document.getElementById('greeting').textContent === 'later' && 'seen'`, 5*time.Second)
	if err != nil || string(raw) != `"seen"` {
		t.Errorf("WaitFor = %s, %v; want \"seen\"", raw, err)
	}
	start := time.Now()
	_, err = p.WaitFor(ctx, `false`, 300*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "last value false") {
		t.Errorf("WaitFor(false) = %v, want a deadline error naming the last value", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("WaitFor(false) with 300 ms took %v", d)
	}

	if log := p.Log(); !strings.Contains(log, "from the page") {
		t.Errorf("page log %q does not hold the console error", log)
	}

	png, err := p.Screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(png), "\x89PNG") {
		t.Errorf("screenshot is not a PNG: % x", png[:min(8, len(png))])
	}
}

// TestTabs: tabs are independent pages of one browser.
func TestTabs(t *testing.T) {
	t.Parallel()
	s := setup(t)
	a, b := s.b.Open(t, s.url), s.b.Open(t, s.url+"/other")
	a.Wait(`document.readyState === 'complete'`, nil, 10*time.Second)
	b.Wait(`document.readyState === 'complete'`, nil, 10*time.Second)
	a.Run(`window.mark = 'a'`)
	var got []any
	b.Value(`[window.mark === undefined, location.pathname]`, &got)
	if len(got) != 2 || got[0] != true || got[1] != "/other" {
		t.Errorf("second tab sees %v, want [true /other]", got)
	}
}

// TestClose: Close kills the whole process group, is idempotent, and
// calls afterwards fail with EUNAVAILABLE.
func TestClose(t *testing.T) {
	t.Parallel()
	if _, ok := Find(); !ok {
		t.Skipf("no chromium binary (install it with: %s)", InstallHint)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := b.NewTab(ctx)
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	pgid := b.Pid()
	if err := syscall.Kill(-pgid, 0); err != nil {
		t.Fatalf("browser group %d not running before Close: %v", pgid, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("after Close, signalling group %d gave %v, want ESRCH", pgid, err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := tab.Eval(ctx, `1`); ferry.ErrorCode(err) != ferry.EUNAVAILABLE {
		t.Errorf("Eval after Close = %v, want EUNAVAILABLE", err)
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Start(ctx, Options{Binary: "/nonexistent/chromium", Dir: t.TempDir()})
	if ferry.ErrorCode(err) != ferry.EUNAVAILABLE || !strings.Contains(err.Error(), "/nonexistent/chromium") {
		t.Errorf("Start with a missing binary = %v, want EUNAVAILABLE naming it", err)
	}
	// A binary that exits at once is reported with its exit.
	_, err = Start(ctx, Options{Binary: "/bin/false", Dir: t.TempDir()})
	if ferry.ErrorCode(err) != ferry.EUNAVAILABLE || !strings.Contains(err.Error(), "exited before listening") {
		t.Errorf("Start with /bin/false = %v, want EUNAVAILABLE: exited before listening", err)
	}
}
