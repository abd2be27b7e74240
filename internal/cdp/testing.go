package cdp

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Launch starts a browser, with args added to its command line, for a
// test and closes it on cleanup. It skips the test, naming InstallHint,
// when no Chromium is installed.
func Launch(t testing.TB, args ...string) *Browser {
	t.Helper()
	if _, ok := Find(); !ok {
		t.Skipf("no chromium binary on PATH and $CHROMIUM unset (install it with: %s); browser tests skipped", InstallHint)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Start(ctx, Options{Dir: dir, Args: args})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// callWait bounds one command a Page sends.
const callWait = 15 * time.Second

// Page is a tab bound to a test: its helpers fail the test instead of
// returning errors, with the page's log and content in the message.
type Page struct {
	*Tab
	t testing.TB
}

// Open creates a tab at url for test t; the tab closes on t's cleanup.
func (b *Browser) Open(t testing.TB, url string) *Page {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callWait)
	defer cancel()
	tab, err := b.NewTab(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tab.Close(ctx) // fails only when the browser is already gone
	})
	if err := tab.Navigate(ctx, url); err != nil {
		t.Fatal(err)
	}
	return &Page{Tab: tab, t: t}
}

// Run evaluates js and fails the test when it throws.
func (p *Page) Run(js string) {
	p.t.Helper()
	p.Value(js, nil)
}

// Value evaluates js and decodes its value into out (when out is not nil);
// it fails the test when js throws.
func (p *Page) Value(js string, out any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callWait)
	defer cancel()
	raw, err := p.Eval(ctx, js)
	if err != nil {
		p.t.Fatalf("%v\npage log:\n%s", err, p.Log())
	}
	p.decode(raw, out)
}

// Wait polls js until its value is truthy (see Tab.WaitFor), decodes that
// value into out when out is not nil, and fails the test after timeout,
// showing the page's body.
func (p *Page) Wait(js string, out any, timeout time.Duration) {
	p.t.Helper()
	raw, err := p.WaitFor(context.Background(), js, timeout)
	if err != nil {
		p.t.Fatalf("%v\nbody:\n%s\npage log:\n%s", err, p.body(), p.Log())
	}
	p.decode(raw, out)
}

func (p *Page) decode(raw json.RawMessage, out any) {
	p.t.Helper()
	if out == nil || len(raw) == 0 {
		return
	}
	if err := json.Unmarshal(raw, out); err != nil {
		p.t.Fatalf("decode %s: %v", raw, err)
	}
}

// body is the page's markup, cut to a readable length.
func (p *Page) body() string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	raw, err := p.Eval(ctx, "document.body ? document.body.outerHTML : document.documentElement.outerHTML")
	if err != nil {
		return err.Error()
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	const max = 8000
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// Shot saves a PNG of the page as dir/name.png when dir is not empty, and
// reports a failure as a test error.
func (p *Page) Shot(dir, name string) {
	p.t.Helper()
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), callWait)
	defer cancel()
	png, err := p.Screenshot(ctx)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
	}
}
