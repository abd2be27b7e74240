// Package control owns Ferry's operator HTTP API under /_ferry/control/:
// the async queue of each function (list, cancel, purge, pause, resume),
// redrive of failed async invocations, and the stack drawing as Mermaid or
// DOT. The `ferry` command line is its client.
package control

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/ferry-run/ferry"
)

// Prefix is where the API is mounted.
const Prefix = "/_ferry/control/"

// Event is a queued async event.
type Event struct {
	RequestID string    `json:"requestId"`
	Function  string    `json:"function"`
	Accepted  time.Time `json:"accepted"`
	Age       string    `json:"age"`
	State     string    `json:"state"`
	// NextAttempt is when an event waiting for a retry or a backoff runs again.
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	Attempts    int       `json:"attempts"`
	Throttles   int       `json:"throttles,omitempty"`
	Sequence    uint64    `json:"sequence"`
}

// Queues is the async engine's queue control.
type Queues interface {
	Pending(ctx context.Context, function string, max int) ([]Event, error)
	Cancel(ctx context.Context, function, requestID string) error
	Purge(ctx context.Context, function string) (uint64, error)
	Pause(ctx context.Context, function string) error
	Resume(ctx context.Context, function string) error
	Paused(ctx context.Context, function string) (bool, error)
	Redrive(ctx context.Context, requestID string) (string, error)
}

// Failed lists failed async invocations, newest first.
type Failed func(ctx context.Context, function string, limit int) ([]*ferry.Invocation, error)

// Drawing renders the stack graph in a format ("mermaid" or "dot").
type Drawing func(ctx context.Context, format string) (string, error)

// API serves the control endpoints.
type API struct {
	queues  Queues
	failed  Failed
	drawing Drawing
	log     *slog.Logger
	mux     *http.ServeMux
}

// New returns the API.
func New(q Queues, failed Failed, drawing Drawing, log *slog.Logger) *API {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &API{queues: q, failed: failed, drawing: drawing, log: log, mux: http.NewServeMux()}
	a.mux.HandleFunc("GET "+Prefix+"functions/{fn}/events", a.checkIDs(a.pending))
	a.mux.HandleFunc("DELETE "+Prefix+"functions/{fn}/events/{id}", a.checkIDs(a.cancel))
	a.mux.HandleFunc("POST "+Prefix+"functions/{fn}/purge", a.checkIDs(a.purge))
	a.mux.HandleFunc("POST "+Prefix+"functions/{fn}/pause", a.checkIDs(a.pause))
	a.mux.HandleFunc("POST "+Prefix+"functions/{fn}/resume", a.checkIDs(a.resume))
	a.mux.HandleFunc("POST "+Prefix+"redrive", a.redrive)
	a.mux.HandleFunc("GET "+Prefix+"graph", a.graph)
	a.mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, ferry.Errorf(ferry.ENOTFOUND, "no control endpoint %s %s", r.Method, r.URL.Path))
	})
	return a
}

// Handler serves the API; mount it at Prefix without stripping.
func (a *API) Handler() http.Handler { return a.mux }

func (a *API) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// statusOf is the one table from ferry error codes to HTTP statuses.
var statusOf = map[string]int{
	ferry.ENOTFOUND: http.StatusNotFound, ferry.EINVALID: http.StatusBadRequest,
	ferry.EINVALIDJSON: http.StatusBadRequest, ferry.ECONFLICT: http.StatusConflict,
	ferry.EUNAVAILABLE: http.StatusServiceUnavailable,
}

func (a *API) fail(w http.ResponseWriter, err error) {
	status, ok := statusOf[ferry.ErrorCode(err)]
	msg := ferry.ErrorMessage(err)
	if !ok {
		status, msg = http.StatusInternalServerError, "internal error"
		a.log.Error("control", "err", err)
	}
	a.reply(w, status, map[string]string{"error": ferry.CapMessage(msg), "code": ferry.ErrorCode(err)})
}

// checkIDs refuses a function name or request id in the path that cannot
// exist before it reaches the engine: a bad name is invalid (400), an
// impossible request id is not found (404).
func (a *API) checkIDs(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if fn := r.PathValue("fn"); !ferry.ValidFunctionName(fn) {
			a.fail(w, ferry.Errorf(ferry.EINVALID, "function name %s must be 1-64 characters of letters, digits, '-' and '_'", ferry.Shorten(fn)))
			return
		}
		if id := r.PathValue("id"); id != "" && !ferry.ValidRequestID(id) {
			a.fail(w, ferry.Errorf(ferry.ENOTFOUND, "no queued event %s", ferry.Shorten(id)))
			return
		}
		next(w, r)
	}
}

func (a *API) pending(w http.ResponseWriter, r *http.Request) {
	max, _ := strconv.Atoi(r.URL.Query().Get("max"))
	evs, err := a.queues.Pending(r.Context(), r.PathValue("fn"), max)
	if err != nil {
		a.fail(w, err)
		return
	}
	// A function that never ran has no consumer yet, hence not paused.
	paused, _ := a.queues.Paused(r.Context(), r.PathValue("fn"))
	if evs == nil {
		evs = []Event{}
	}
	a.reply(w, http.StatusOK, map[string]any{"function": r.PathValue("fn"), "paused": paused, "events": evs})
}

func (a *API) cancel(w http.ResponseWriter, r *http.Request) {
	if err := a.queues.Cancel(r.Context(), r.PathValue("fn"), r.PathValue("id")); err != nil {
		a.fail(w, err)
		return
	}
	a.reply(w, http.StatusOK, map[string]string{"cancelled": r.PathValue("id")})
}

func (a *API) purge(w http.ResponseWriter, r *http.Request) {
	n, err := a.queues.Purge(r.Context(), r.PathValue("fn"))
	if err != nil {
		a.fail(w, err)
		return
	}
	a.reply(w, http.StatusOK, map[string]any{"function": r.PathValue("fn"), "purged": n})
}

func (a *API) pause(w http.ResponseWriter, r *http.Request) {
	if err := a.queues.Pause(r.Context(), r.PathValue("fn")); err != nil {
		a.fail(w, err)
		return
	}
	a.reply(w, http.StatusOK, map[string]any{"function": r.PathValue("fn"), "paused": true})
}

func (a *API) resume(w http.ResponseWriter, r *http.Request) {
	if err := a.queues.Resume(r.Context(), r.PathValue("fn")); err != nil {
		a.fail(w, err)
		return
	}
	a.reply(w, http.StatusOK, map[string]any{"function": r.PathValue("fn"), "paused": false})
}

// RedriveRequest selects failed async invocations to run again.
type RedriveRequest struct {
	Function  string    `json:"function"`
	Since     time.Time `json:"since,omitzero"`
	Until     time.Time `json:"until,omitzero"`
	ErrorType string    `json:"errorType,omitempty"`
	DryRun    bool      `json:"dryRun,omitempty"`
	Limit     int       `json:"limit,omitempty"`
}

// Redriven is one selected invocation and, unless it was a dry run, its
// new request id.
type Redriven struct {
	RequestID string    `json:"requestId"`
	Function  string    `json:"function"`
	Accepted  time.Time `json:"accepted"`
	Condition string    `json:"condition"`
	ErrorType string    `json:"errorType,omitempty"`
	NewID     string    `json:"newRequestId,omitempty"`
	Error     string    `json:"error,omitempty"`
}

func (a *API) redrive(w http.ResponseWriter, r *http.Request) {
	var req RedriveRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		a.fail(w, ferry.Wrap(ferry.EINVALIDJSON, err, "redrive request"))
		return
	}
	if req.Function == "" {
		a.fail(w, ferry.Errorf(ferry.EINVALID, "redrive request: function is required"))
		return
	}
	if !ferry.ValidFunctionName(req.Function) {
		a.fail(w, ferry.Errorf(ferry.EINVALID, "redrive request: function name %s must be 1-64 characters of letters, digits, '-' and '_'", ferry.Shorten(req.Function)))
		return
	}
	if req.Limit <= 0 {
		req.Limit = 1000
	}
	invs, err := a.failed(r.Context(), req.Function, req.Limit)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := []Redriven{}
	for _, inv := range invs {
		if inv.Type != ferry.InvokeEvent || len(inv.RedrivenAs) > 0 {
			continue // sync calls, and failures already redriven
		}
		if !req.Since.IsZero() && inv.Accepted.Before(req.Since) || !req.Until.IsZero() && inv.Accepted.After(req.Until) {
			continue
		}
		et := errorType(inv)
		if req.ErrorType != "" && et != req.ErrorType {
			continue
		}
		row := Redriven{RequestID: inv.RequestID, Function: inv.Function, Accepted: inv.Accepted, Condition: inv.Condition, ErrorType: et}
		if !req.DryRun {
			id, err := a.queues.Redrive(r.Context(), inv.RequestID)
			if err != nil {
				row.Error = err.Error()
			}
			row.NewID = id
		}
		out = append(out, row)
	}
	a.reply(w, http.StatusOK, map[string]any{"dryRun": req.DryRun, "invocations": out})
}

// errorType is the error type of an invocation's last attempt, or of its
// response when it never ran (throttled, loop guard).
func errorType(inv *ferry.Invocation) string {
	if n := len(inv.Attempts); n > 0 && inv.Attempts[n-1].ErrorType != "" {
		return inv.Attempts[n-1].ErrorType
	}
	var ep ferry.ErrorPayload
	if json.Unmarshal(inv.Response, &ep) == nil {
		return ep.ErrorType
	}
	return ""
}

func (a *API) graph(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "mermaid"
	}
	if format != "mermaid" && format != "dot" {
		a.fail(w, ferry.Errorf(ferry.EINVALID, "format %q: want mermaid or dot", format))
		return
	}
	s, err := a.drawing(r.Context(), format)
	if err != nil {
		a.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(s))
}
