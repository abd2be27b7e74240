package cdp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ferry-run/ferry"
)

// Tab is one page target of a Browser, attached in flat session mode with
// the Runtime, Page and Log domains enabled.
type Tab struct {
	b        *Browser
	targetID string
	session  string
}

// NewTab opens an about:blank tab.
func (b *Browser) NewTab(ctx context.Context) (*Tab, error) {
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.Call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return nil, err
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.Call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		return nil, err
	}
	t := &Tab{b: b, targetID: target.TargetID, session: att.SessionID}
	for _, m := range []string{"Runtime.enable", "Page.enable", "Log.enable"} {
		if err := t.Call(ctx, m, nil, nil); err != nil {
			_ = t.Close(ctx)
			return nil, err
		}
	}
	return t, nil
}

// Close closes the tab.
func (t *Tab) Close(ctx context.Context) error {
	return t.b.Call(ctx, "", "Target.closeTarget", map[string]any{"targetId": t.targetID}, nil)
}

// Call sends one CDP command to the tab's session.
func (t *Tab) Call(ctx context.Context, method string, params, out any) error {
	return t.b.Call(ctx, t.session, method, params, out)
}

// Navigate starts loading url. It returns once the navigation is
// committed or refused; wait for content with WaitFor.
func (t *Tab) Navigate(ctx context.Context, url string) error {
	var res struct {
		ErrorText string `json:"errorText"`
	}
	if err := t.Call(ctx, "Page.navigate", map[string]any{"url": url}, &res); err != nil {
		return err
	}
	if res.ErrorText != "" {
		return ferry.Errorf(ferry.EUNAVAILABLE, "navigate to %s: %s", url, res.ErrorText)
	}
	return nil
}

// Eval evaluates a JavaScript expression in the page, awaits it when it is
// a promise, and returns its value as JSON (empty for undefined). A thrown
// exception is an EINVALID error carrying its description.
func (t *Tab) Eval(ctx context.Context, js string) (json.RawMessage, error) {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := t.Call(ctx, "Runtime.evaluate", map[string]any{
		"expression": js, "returnByValue": true, "awaitPromise": true,
	}, &res)
	if err != nil {
		return nil, err
	}
	if ex := res.ExceptionDetails; ex != nil {
		return nil, ferry.Errorf(ferry.EINVALID, "%s: %s %s", js, ex.Text, ex.Exception.Description)
	}
	return res.Result.Value, nil
}

// pollEvery is how often WaitFor evaluates its predicate.
const pollEvery = 50 * time.Millisecond

// WaitFor evaluates the expression js (it may await) until its value is
// something other than null, undefined or false, and returns that value.
// It gives up after timeout, or when ctx ends, returning the last
// evaluation error if there was one.
func (t *Tab) WaitFor(ctx context.Context, js string, timeout time.Duration) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var last error
	lastValue := json.RawMessage("(none yet)")
	for {
		raw, err := t.Eval(ctx, "(async () => ("+js+"))()")
		switch {
		case err == nil && truthy(raw):
			return raw, nil
		case err == nil:
			last, lastValue = nil, raw
		case ctx.Err() == nil:
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return nil, fmt.Errorf("waiting %v for %s: %w", timeout, js, last)
			}
			return nil, fmt.Errorf("waiting %v for %s: last value %s: %w", timeout, js, orUndefined(lastValue), ctx.Err())
		case <-tick.C:
		}
	}
}

func truthy(raw json.RawMessage) bool {
	s := string(raw)
	return s != "" && s != "null" && s != "false"
}

func orUndefined(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "undefined"
	}
	return string(raw)
}

// Screenshot returns a PNG of the tab's viewport.
func (t *Tab) Screenshot(ctx context.Context) ([]byte, error) {
	var res struct{ Data string }
	if err := t.Call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, &res); err != nil {
		return nil, err
	}
	png, err := base64.StdEncoding.DecodeString(res.Data)
	if err != nil {
		return nil, ferry.Wrap(ferry.EINVALID, err, "screenshot data")
	}
	return png, nil
}

// Log returns the exceptions, console messages and log entries the tab's
// pages produced so far, one per line.
func (t *Tab) Log() string { return t.b.sessionLog(t.session) }
