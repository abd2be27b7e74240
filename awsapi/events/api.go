// Package eventsapi is the Amazon EventBridge JSON 1.1 front door: it serves
// `POST /` requests whose `X-Amz-Target` header is `AWSEvents.<Operation>` so
// aws-sdk-go-v2's eventbridge client and the AWS CLI work against Ferry with
// a custom endpoint. It owns the wire format only: buses, rules, targets,
// events, archives and replays live in a *bus.Service.
//
// Operations: PutEvents, PutRule, DeleteRule, DescribeRule, ListRules,
// EnableRule, DisableRule, PutTargets, RemoveTargets, ListTargetsByRule,
// ListRuleNamesByTarget, CreateEventBus, DeleteEventBus, DescribeEventBus,
// ListEventBuses, TestEventPattern, CreateArchive, DescribeArchive,
// DeleteArchive, StartReplay, DescribeReplay. ListArchives is refused by name
// (the bus service offers no archive listing). Parameters Ferry cannot honour
// (ScheduleExpression, Tags, KMS keys, dead-letter and log configs, target
// parameters other than Input/InputPath/InputTransformer, archive and replay
// descriptions, PutEvents EndpointId) are refused by name with a
// ValidationException. RoleArn is accepted and has no effect: Ferry has no IAM.
//
// Errors are `{"__type": "<Exception>", "message": "..."}` with HTTP 400 (500
// for InternalException); the one mapping from ferry error codes is in
// errors.go. Every response carries an x-amzn-RequestId header.
package eventsapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/bus"
)

// targetPrefix is the X-Amz-Target prefix of every EventBridge operation.
const targetPrefix = "AWSEvents."

// maxBody bounds a request body; PutEvents entries are limited to 256 KiB
// each and 10 per call, so 4 MiB leaves room for JSON escaping.
const maxBody = 4 << 20

// Config holds the API's dependencies.
type Config struct {
	Realm ferry.Realm
	Buses *bus.Service
	// Meta stores bus and rule tags; the default keeps them in memory.
	Meta ferry.ResourceMeta
	// Schedules runs rules with a ScheduleExpression; without it such
	// rules are refused by name.
	Schedules Schedules
	Logger    *slog.Logger
}

// API serves the EventBridge JSON 1.1 protocol.
type API struct {
	realm ferry.Realm
	buses *bus.Service
	meta  ferry.ResourceMeta
	sched Schedules
	log   *slog.Logger
	ops   map[string]operation
}

// operation decodes its own request from body and returns the response
// value to encode.
type operation func(ctx context.Context, body []byte) (any, error)

// New returns an API on cfg.
func New(cfg Config) *API {
	if cfg.Realm == (ferry.Realm{}) {
		cfg.Realm = ferry.DefaultRealm
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Meta == nil {
		cfg.Meta = ferry.NewMemoryMeta()
	}
	a := &API{realm: cfg.Realm, buses: cfg.Buses, meta: cfg.Meta, sched: cfg.Schedules, log: log.With("component", "eventsapi")}
	a.ops = map[string]operation{
		"PutEvents":             handle(a.putEvents),
		"PutRule":               handle(a.putRule),
		"DeleteRule":            handle(a.deleteRule),
		"DescribeRule":          handle(a.describeRule),
		"ListRules":             handle(a.listRules),
		"EnableRule":            handle(a.enableRule),
		"DisableRule":           handle(a.disableRule),
		"PutTargets":            handle(a.putTargets),
		"RemoveTargets":         handle(a.removeTargets),
		"ListTargetsByRule":     handle(a.listTargetsByRule),
		"ListRuleNamesByTarget": handle(a.listRuleNamesByTarget),
		"CreateEventBus":        handle(a.createEventBus),
		"DeleteEventBus":        handle(a.deleteEventBus),
		"DescribeEventBus":      handle(a.describeEventBus),
		"ListEventBuses":        handle(a.listEventBuses),
		"TestEventPattern":      handle(a.testEventPattern),
		"CreateArchive":         handle(a.createArchive),
		"DescribeArchive":       handle(a.describeArchive),
		"DeleteArchive":         handle(a.deleteArchive),
		"ListArchives":          handle(a.listArchives),
		"StartReplay":           handle(a.startReplay),
		"DescribeReplay":        handle(a.describeReplay),
		"UpdateArchive":         handle(a.updateArchive),
		"ListReplays":           handle(a.listReplays),
		"CancelReplay":          handle(a.cancelReplay),
		"TagResource":           handle(a.tagResource),
		"UntagResource":         handle(a.untagResource),
		"ListTagsForResource":   handle(a.listTagsForResource),
	}
	return a
}

// JSONTarget reports whether target (an X-Amz-Target header value) names an
// operation this API serves, e.g. "AWSEvents.PutEvents".
func (a *API) JSONTarget(target string) bool {
	op, ok := strings.CutPrefix(target, targetPrefix)
	if !ok {
		return false
	}
	_, ok = a.ops[op]
	return ok
}

// Handler returns the HTTP handler: POST / with X-Amz-Target
// AWSEvents.<Operation>.
func (a *API) Handler() http.Handler {
	return http.HandlerFunc(a.serve)
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(hdrRequestID, uuid.NewString())
	target := r.Header.Get("X-Amz-Target")
	name, _ := strings.CutPrefix(target, targetPrefix)
	op, ok := a.ops[name]
	if !ok || !strings.HasPrefix(target, targetPrefix) {
		a.writeError(w, name, ferry.Errorf(eUnknownOperation, "unknown operation %q", target))
		return
	}
	if r.Method != http.MethodPost {
		a.writeError(w, name, ferry.Errorf(eUnknownOperation, "operation %s takes POST, not %s", name, r.Method))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		a.writeError(w, name, ferry.Wrap(eSerialization, err, "read request body"))
		return
	}
	if len(body) > maxBody {
		a.writeError(w, name, ferry.Errorf(ferry.ETOOLARGE, "request body is over %d bytes", maxBody))
		return
	}
	if err := checkNames(name, body); err != nil {
		a.writeError(w, name, err)
		return
	}
	out, err := a.call(r.Context(), op, body)
	if err != nil {
		a.writeError(w, name, err)
		return
	}
	a.writeJSON(w, name, out)
}

// call runs op, turning a panic into an internal error so one bad request
// cannot take the server down.
func (a *API) call(ctx context.Context, op operation, body []byte) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = ferry.Errorf(ferry.EINTERNAL, "panic: %v", p)
		}
	}()
	return op(ctx, body)
}

// handle adapts a typed operation to operation: the body is decoded into
// Req (an empty body is an empty request).
func handle[Req any, Resp any](fn func(context.Context, *Req) (Resp, error)) operation {
	return func(ctx context.Context, body []byte) (any, error) {
		req := new(Req)
		if err := decode(body, req); err != nil {
			return nil, err
		}
		return fn(ctx, req)
	}
}

// decode parses a JSON 1.1 request body. Unknown members are ignored, as
// AWS services do; members Ferry cannot honour are declared in the request
// types and refused by name.
func decode(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return ferry.Errorf(eSerialization, "member %s: expected %s, got JSON %s", te.Field, te.Type, te.Value)
		}
		return ferry.Wrap(eSerialization, err, "request body is not valid JSON")
	}
	if dec.More() {
		return ferry.Errorf(eSerialization, "request body has data after the JSON object")
	}
	return nil
}

func (a *API) writeJSON(w http.ResponseWriter, op string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.writeError(w, op, ferry.Wrap(ferry.EINTERNAL, err, "encode response"))
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// empty is the response of operations that return nothing.
type empty struct{}
