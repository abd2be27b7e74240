// Package otlp exports finished invocations as OpenTelemetry spans over
// OTLP/HTTP with the JSON encoding (no OpenTelemetry SDK: the wire format is
// small and stable). Every invocation of one event's path shares the trace
// id Ferry carries across hops, so a tracing backend shows the same path as
// `ferry trace`.
package otlp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferry-run/ferry"
)

// Options configure an Exporter.
type Options struct {
	// Endpoint is the collector's base URL, e.g. http://127.0.0.1:4318;
	// spans go to Endpoint + "/v1/traces".
	Endpoint string
	Service  string // service.name; default "ferry"
	// Interval is how often buffered spans are sent; default 1 s.
	Interval time.Duration
	Client   *http.Client
	Logger   *slog.Logger
}

// bufferSize bounds the spans waiting to be sent; more are dropped and
// counted, never blocking an invocation.
const bufferSize = 10000

// Exporter sends spans in the background.
type Exporter struct {
	opts    Options
	mu      sync.Mutex
	pending []span
	dropped atomic.Int64
	sent    atomic.Int64
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// New returns an exporter; Start begins sending.
func New(opts Options) *Exporter {
	if opts.Service == "" {
		opts.Service = "ferry"
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Exporter{opts: opts, stop: make(chan struct{}), done: make(chan struct{})}
}

// Start starts the sender.
func (e *Exporter) Start(context.Context) error {
	if !strings.HasPrefix(e.opts.Endpoint, "http://") && !strings.HasPrefix(e.opts.Endpoint, "https://") {
		return ferry.Errorf(ferry.EINVALID, "OTLP endpoint %q: want an http:// or https:// URL", e.opts.Endpoint)
	}
	go e.run()
	return nil
}

// Stop sends what is buffered (until ctx ends) and stops. Idempotent.
func (e *Exporter) Stop(ctx context.Context) error {
	e.once.Do(func() { close(e.stop) })
	select {
	case <-e.done:
	case <-ctx.Done():
	}
	return nil
}

// Stats reports spans sent and dropped.
func (e *Exporter) Stats() (sent, dropped int64) { return e.sent.Load(), e.dropped.Load() }

// Export queues the span of a finished invocation; unfinished ones and
// invocations without a trace id are skipped.
func (e *Exporter) Export(inv *ferry.Invocation) {
	if !inv.Done {
		return
	}
	sp, ok := spanOf(inv)
	if !ok {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.pending) >= bufferSize {
		e.dropped.Add(1)
		return
	}
	e.pending = append(e.pending, sp)
}

func (e *Exporter) run() {
	defer close(e.done)
	t := time.NewTicker(e.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			e.flush()
		case <-e.stop:
			e.flush()
			return
		}
	}
}

func (e *Exporter) flush() {
	e.mu.Lock()
	batch := e.pending
	e.pending = nil
	e.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	body, _ := json.Marshal(request{ResourceSpans: []resourceSpans{{
		Resource:   resource{Attributes: []attr{str("service.name", e.opts.Service)}},
		ScopeSpans: []scopeSpans{{Scope: scope{Name: "github.com/ferry-run/ferry"}, Spans: batch}},
	}}})
	resp, err := e.opts.Client.Post(strings.TrimRight(e.opts.Endpoint, "/")+"/v1/traces", "application/json", bytes.NewReader(body))
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			err = fmt.Errorf("collector answered %s", resp.Status)
		}
	}
	if err != nil {
		e.dropped.Add(int64(len(batch)))
		e.opts.Logger.Warn("otlp: spans not exported", "spans", len(batch), "err", err)
		return
	}
	e.sent.Add(int64(len(batch)))
}

// The OTLP/HTTP JSON shapes Ferry sends.
type (
	request struct {
		ResourceSpans []resourceSpans `json:"resourceSpans"`
	}
	resourceSpans struct {
		Resource   resource     `json:"resource"`
		ScopeSpans []scopeSpans `json:"scopeSpans"`
	}
	resource struct {
		Attributes []attr `json:"attributes"`
	}
	scopeSpans struct {
		Scope scope  `json:"scope"`
		Spans []span `json:"spans"`
	}
	scope struct {
		Name string `json:"name"`
	}
	span struct {
		TraceID      string  `json:"traceId"`
		SpanID       string  `json:"spanId"`
		ParentSpanID string  `json:"parentSpanId,omitempty"`
		Name         string  `json:"name"`
		Kind         int     `json:"kind"`
		Start        string  `json:"startTimeUnixNano"`
		End          string  `json:"endTimeUnixNano"`
		Attributes   []attr  `json:"attributes"`
		Events       []event `json:"events,omitempty"`
		Status       status  `json:"status"`
	}
	event struct {
		Time       string `json:"timeUnixNano"`
		Name       string `json:"name"`
		Attributes []attr `json:"attributes,omitempty"`
	}
	status struct {
		Code    int    `json:"code"` // 1 ok, 2 error
		Message string `json:"message,omitempty"`
	}
	attr struct {
		Key   string `json:"key"`
		Value value  `json:"value"`
	}
	value struct {
		String *string `json:"stringValue,omitempty"`
		Int    *string `json:"intValue,omitempty"`
	}
)

func str(k, v string) attr { return attr{Key: k, Value: value{String: &v}} }

func num(k string, v int64) attr {
	s := strconv.FormatInt(v, 10)
	return attr{Key: k, Value: value{Int: &s}}
}

func nanos(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) }

// TraceIDHex turns an X-Ray style trace header ("Root=1-5f1c2a3b-0123456789abcdef01234567")
// into the 32 hex digits of an OpenTelemetry trace id.
func TraceIDHex(header string) (string, bool) {
	for _, part := range strings.Split(header, ";") {
		root, ok := strings.CutPrefix(strings.TrimSpace(part), "Root=1-")
		if !ok {
			continue
		}
		id := strings.ReplaceAll(root, "-", "")
		if _, err := hex.DecodeString(id); err != nil || len(id) != 32 {
			return "", false
		}
		return strings.ToLower(id), true
	}
	return "", false
}

func spanID(requestID string) string {
	sum := sha256.Sum256([]byte(requestID))
	return hex.EncodeToString(sum[:8])
}

// spanOf is the span of one invocation: from acceptance to its last
// delivery, with an event per attempt and per delivery.
func spanOf(inv *ferry.Invocation) (span, bool) {
	trace, ok := TraceIDHex(inv.TraceID)
	if !ok {
		return span{}, false
	}
	end := inv.Finished
	if n := len(inv.Attempts); n > 0 {
		if last := inv.Attempts[n-1]; last.Start.Add(last.Duration).After(end) {
			end = last.Start.Add(last.Duration)
		}
	}
	for _, d := range inv.Deliveries {
		if d.At.After(end) {
			end = d.At
		}
	}
	if end.Before(inv.Accepted) {
		end = inv.Accepted
	}
	sp := span{
		TraceID: trace, SpanID: spanID(inv.RequestID), Name: inv.Function, Kind: 2,
		Start: nanos(inv.Accepted), End: nanos(end),
		Attributes: []attr{
			str("faas.invocation_id", inv.RequestID), str("faas.name", inv.Function),
			str("ferry.invocation_type", inv.Type), num("ferry.attempts", int64(len(inv.Attempts))),
			num("ferry.hops", int64(inv.Hops)), num("ferry.throttles", int64(inv.Throttles)),
		},
		Status: status{Code: 1},
	}
	if inv.Type == ferry.InvokeEvent {
		sp.Kind = 5 // consumer: it ran from a queue
	}
	if inv.Condition != "" {
		sp.Attributes = append(sp.Attributes, str("ferry.condition", inv.Condition))
	}
	if inv.RedriveOf != "" {
		sp.Attributes = append(sp.Attributes, str("ferry.redrive_of", inv.RedriveOf))
	}
	if n := len(inv.Attempts); n > 0 {
		sp.Attributes = append(sp.Attributes, num("ferry.queue_delay_ms", inv.Attempts[0].Start.Sub(inv.Accepted).Milliseconds()))
	}
	for i, a := range inv.Attempts {
		ev := event{Time: nanos(a.Start), Name: "attempt " + strconv.Itoa(i+1),
			Attributes: []attr{num("duration_ms", a.Duration.Milliseconds())}}
		if a.ErrorType != "" {
			ev.Attributes = append(ev.Attributes, str("error.type", a.ErrorType), str("error.message", a.ErrorMessage))
		}
		sp.Events = append(sp.Events, ev)
	}
	for _, d := range inv.Deliveries {
		ev := event{Time: nanos(d.At), Name: d.Kind, Attributes: []attr{str("target", d.Target)}}
		if d.Error != "" {
			ev.Attributes = append(ev.Attributes, str("error.message", d.Error))
		}
		sp.Events = append(sp.Events, ev)
	}
	if inv.Condition != "" && inv.Condition != ferry.ConditionSuccess || inv.Condition == "" && inv.FunctionError != "" {
		sp.Status = status{Code: 2, Message: failureMessage(inv)}
	}
	return sp, true
}

func failureMessage(inv *ferry.Invocation) string {
	if n := len(inv.Attempts); n > 0 && inv.Attempts[n-1].ErrorType != "" {
		return inv.Attempts[n-1].ErrorType + ": " + inv.Attempts[n-1].ErrorMessage
	}
	if inv.Condition != "" {
		return inv.Condition
	}
	return inv.FunctionError
}

// Store wraps an invocation store so every finished invocation it stores is
// also exported.
type Store struct {
	ferry.InvocationStore
	Exporter *Exporter
}

// PutInvocation stores inv, then exports it when it is finished.
func (s Store) PutInvocation(ctx context.Context, inv *ferry.Invocation) error {
	if err := s.InvocationStore.PutInvocation(ctx, inv); err != nil {
		return err
	}
	s.Exporter.Export(inv)
	return nil
}
