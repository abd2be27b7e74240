package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ferry-run/ferry"
)

// Limits of the API's arguments.
const (
	defaultLimit  = 50
	maxLimit      = 1000
	defaultPeek   = 10
	maxPeek       = 10
	maxInvokeBody = 6 << 20 // Lambda's synchronous payload limit, with room for the wrapper
)

func (d *Dashboard) graph(w http.ResponseWriter, r *http.Request) {
	g, err := d.src.Graph(r.Context())
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	lay, err := Place(g)
	if err != nil {
		// A graph that does not hold together is the server's fault, not
		// the caller's.
		d.writeError(w, r, ferry.Errorf(ferry.EINTERNAL, "%s", ferry.ErrorMessage(err)))
		return
	}
	writeJSON(w, http.StatusOK, lay)
}

func (d *Dashboard) invocations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := Filter{Function: q.Get("function"), Status: q.Get("status"), Limit: defaultLimit}
	if f.Function != "" && !ferry.ValidFunctionName(f.Function) {
		d.writeError(w, r, badFunction(f.Function))
		return
	}
	switch f.Status {
	case StatusAny, StatusFailed, StatusSucceeded, StatusPending:
	default:
		d.writeError(w, r, ferry.Errorf(ferry.EINVALID, "status %q: want failed, succeeded, pending or empty", f.Status))
		return
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			d.writeError(w, r, ferry.Errorf(ferry.EINVALID, "limit %q: want an integer from 1 to %d", s, maxLimit))
			return
		}
		f.Limit = n
	}
	list, err := d.src.Invocations(r.Context(), f)
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	if list == nil {
		list = []ferry.Invocation{}
	}
	writeJSON(w, http.StatusOK, list)
}

func (d *Dashboard) invocation(w http.ResponseWriter, r *http.Request) {
	if !possibleID(r.PathValue("id")) {
		d.writeError(w, r, noInvocation(r.PathValue("id")))
		return
	}
	inv, err := d.src.Invocation(r.Context(), r.PathValue("id"))
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	if inv == nil {
		d.writeError(w, r, noInvocation(r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, inv)
}

// hop is one invocation on a trace with its timings worked out.
type hop struct {
	*ferry.Invocation
	// QueueDelayMs is the wait from acceptance until the function got the
	// event in its first attempt, the cold start included; ColdStartMs is
	// the part of it the function's cold start took. RunMs is the sum of
	// every attempt's duration.
	QueueDelayMs float64 `json:"queueDelayMs"`
	ColdStartMs  float64 `json:"coldStartMs,omitempty"`
	RunMs        float64 `json:"runMs"`
}

type traceResponse struct {
	RequestID string `json:"requestId"`
	TraceID   string `json:"traceId"`
	Hops      []hop  `json:"hops"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (d *Dashboard) trace(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !possibleID(id) {
		d.writeError(w, r, noInvocation(id))
		return
	}
	list, err := d.src.Trace(r.Context(), id)
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	if len(list) == 0 {
		d.writeError(w, r, noInvocation(id))
		return
	}
	resp := traceResponse{RequestID: id, TraceID: list[0].TraceID, Hops: make([]hop, len(list))}
	for i := range list {
		inv := &list[i]
		h := hop{Invocation: inv}
		if len(inv.Attempts) > 0 {
			first := inv.Attempts[0]
			h.QueueDelayMs = ms(first.Start.Add(first.Init).Sub(inv.Accepted))
			h.ColdStartMs = ms(first.Init)
		}
		for _, a := range inv.Attempts {
			h.RunMs += ms(a.Duration)
		}
		resp.Hops[i] = h
	}
	writeJSON(w, http.StatusOK, resp)
}

func (d *Dashboard) queues(w http.ResponseWriter, r *http.Request) {
	list, err := d.src.Queues(r.Context())
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	if list == nil {
		list = []QueueSummary{}
	}
	writeJSON(w, http.StatusOK, list)
}

// peekedMessage is a message as the dashboard shows it; the receipt handle
// of a peek is useless and is not passed on.
type peekedMessage struct {
	MessageID     string                            `json:"messageId"`
	Body          string                            `json:"body"`
	Attributes    map[string]ferry.MessageAttribute `json:"attributes,omitempty"`
	SentTimestamp int64                             `json:"sentTimestamp"`
	ReceiveCount  int                               `json:"receiveCount"`
	TraceID       string                            `json:"traceId,omitempty"`
	Hops          int                               `json:"hops,omitempty"`
}

func (d *Dashboard) peek(w http.ResponseWriter, r *http.Request) {
	n := defaultPeek
	if s := r.URL.Query().Get("max"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > maxPeek {
			d.writeError(w, r, ferry.Errorf(ferry.EINVALID, "max %q: want an integer from 1 to %d", s, maxPeek))
			return
		}
		n = v
	}
	if !ferry.ValidQueueName(r.PathValue("name")) {
		d.writeError(w, r, badQueue(r.PathValue("name")))
		return
	}
	msgs, err := d.src.Peek(r.Context(), r.PathValue("name"), n)
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	out := make([]peekedMessage, len(msgs))
	for i, m := range msgs {
		out[i] = peekedMessage{
			MessageID: m.MessageID, Body: m.Body, Attributes: m.Attributes,
			SentTimestamp: m.SentTimestamp, ReceiveCount: m.ReceiveCount,
			TraceID: m.TraceID, Hops: m.Hops,
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (d *Dashboard) purge(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !ferry.ValidQueueName(name) {
		d.writeError(w, r, badQueue(name))
		return
	}
	if err := d.src.Purge(r.Context(), name); err != nil {
		d.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"queue": name, "purged": true})
}

func (d *Dashboard) redrive(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !ferry.ValidQueueName(name) {
		d.writeError(w, r, badQueue(name))
		return
	}
	moved, err := d.src.RedriveDLQ(r.Context(), name)
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"queue": name, "moved": moved})
}

// invokeRequest is the body of POST /_ferry/api/invoke. Payload is any JSON
// value; absent, it is {}.
type invokeRequest struct {
	Function string          `json:"function"`
	Payload  json.RawMessage `json:"payload"`
}

type invokeResponse struct {
	RequestID string `json:"requestId"`
	Function  string `json:"function"`
}

func (d *Dashboard) invoke(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInvokeBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			d.writeError(w, r, ferry.Wrap(ferry.ETOOLARGE, err, "invoke request"))
			return
		}
		d.writeError(w, r, ferry.Wrap(ferry.EINVALID, err, "invoke request: the body could not be read"))
		return
	}
	var req invokeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		d.writeError(w, r, ferry.Wrap(ferry.EINVALIDJSON, err, "invoke request is not valid JSON"))
		return
	}
	if req.Function == "" {
		d.writeError(w, r, ferry.Errorf(ferry.EINVALID, "invoke request: function is required"))
		return
	}
	if !ferry.ValidFunctionName(req.Function) {
		d.writeError(w, r, badFunction(req.Function))
		return
	}
	payload := []byte(req.Payload)
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	id, err := d.src.InvokeAsync(r.Context(), req.Function, payload)
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, invokeResponse{RequestID: id, Function: req.Function})
}

// possibleID reports whether id could name an invocation in a Source: at
// most 128 bytes of UTF-8 text without control characters. Anything else is
// not looked up at all; the store holds ids to its own, stricter rules.
func possibleID(id string) bool {
	if id == "" || len(id) > 128 || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// noInvocation answers a lookup by an id no invocation has.
func noInvocation(id string) error {
	return ferry.Errorf(ferry.ENOTFOUND, "invocation %s not found", ferry.Shorten(id))
}

func badFunction(name string) error {
	return ferry.Errorf(ferry.EINVALID, "function name %s must be 1-64 characters of letters, digits, '-' and '_'", ferry.Shorten(name))
}

func badQueue(name string) error {
	return ferry.Errorf(ferry.EINVALID, "queue name %s must be 1-80 characters of letters, digits, '-' and '_' (a FIFO queue's ending in .fifo)", ferry.Shorten(name))
}
