// Package sqsapi is the Amazon SQS front door: it serves the SQS JSON 1.0
// protocol (POST / with X-Amz-Target: AmazonSQS.<Op>, as aws-sdk-go-v2 and
// recent SDKs speak it) and the older query protocol (form-encoded
// Action=<Op> posted to / or to a queue URL, answered in XML, as the AWS CLI
// v1 and older SDKs speak it) over Ferry's queue service. It owns the wire
// format only: queues, messages and redrive live in queue.Service.
//
// Queue URLs are <PublicURL>/<account>/<name>; an operation accepts a queue
// URL, a queue name or a queue ARN. What Ferry cannot do is refused by name:
// FIFO queues and their parameters and a rate for message move tasks.
// Queue tags and the Policy attribute (which AddPermission and
// RemovePermission edit) are kept in Config.Meta, stored and returned
// exactly; policies are accepted, not enforced.
// Message move tasks run to completion within StartMessageMoveTask; the
// completed tasks ListMessageMoveTasks reports are kept by this API value,
// in memory, and are lost on restart.
package sqsapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/queue"
)

// Config holds the API's dependencies.
type Config struct {
	Realm  ferry.Realm
	Queues *queue.Service
	// PublicURL returns the base of the queue URLs for a request; the
	// default is "http://" + r.Host.
	PublicURL func(r *http.Request) string
	// Meta stores queue tags and Policy attributes; the default keeps
	// them in memory.
	Meta   ferry.ResourceMeta
	Logger *slog.Logger
}

// API serves the SQS JSON 1.0 and query protocols.
type API struct {
	realm     ferry.Realm
	queues    *queue.Service
	publicURL func(r *http.Request) string
	log       *slog.Logger
	meta      ferry.ResourceMeta
	ops       map[string]operation

	mu    sync.Mutex
	tasks map[string][]moveTask // by source queue ARN, newest first
}

// operation runs one SQS operation; a nil result is an empty one.
type operation func(ctx context.Context, c *call) (any, error)

// call is one request being served.
type call struct {
	in        *request
	r         *http.Request
	pathQueue string // the queue named by a query request's path, if any
}

// New returns an API on cfg.
func New(cfg Config) *API {
	if cfg.Realm == (ferry.Realm{}) {
		cfg.Realm = ferry.DefaultRealm
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PublicURL == nil {
		cfg.PublicURL = func(r *http.Request) string { return "http://" + r.Host }
	}
	if cfg.Meta == nil {
		cfg.Meta = ferry.NewMemoryMeta()
	}
	a := &API{realm: cfg.Realm, queues: cfg.Queues, publicURL: cfg.PublicURL, log: cfg.Logger,
		meta: cfg.Meta, tasks: map[string][]moveTask{}}
	a.ops = map[string]operation{
		"CreateQueue":                  a.createQueue,
		"DeleteQueue":                  a.deleteQueue,
		"ListQueues":                   a.listQueues,
		"GetQueueUrl":                  a.getQueueURL,
		"GetQueueAttributes":           a.getQueueAttributes,
		"SetQueueAttributes":           a.setQueueAttributes,
		"PurgeQueue":                   a.purgeQueue,
		"SendMessage":                  a.sendMessage,
		"SendMessageBatch":             a.sendMessageBatch,
		"ReceiveMessage":               a.receiveMessage,
		"DeleteMessage":                a.deleteMessage,
		"DeleteMessageBatch":           a.deleteMessageBatch,
		"ChangeMessageVisibility":      a.changeMessageVisibility,
		"ChangeMessageVisibilityBatch": a.changeMessageVisibilityBatch,
		"ListDeadLetterSourceQueues":   a.listDeadLetterSourceQueues,
		"StartMessageMoveTask":         a.startMessageMoveTask,
		"ListMessageMoveTasks":         a.listMessageMoveTasks,
		"CancelMessageMoveTask":        a.cancelMessageMoveTask,
		"TagQueue":                     a.tagQueue,
		"UntagQueue":                   a.untagQueue,
		"ListQueueTags":                a.listQueueTags,
		"AddPermission":                a.addPermission,
		"RemovePermission":             a.removePermission,
	}
	return a
}

// sharedActions are query actions SNS has too; QueryAction leaves them to
// the router's other signals (the path or a QueueUrl parameter).
var sharedActions = map[string]bool{"AddPermission": true, "RemovePermission": true}

// JSONTarget reports whether an X-Amz-Target header value is addressed to
// SQS ("AmazonSQS.<anything>"; unknown operations are answered with
// UnknownOperationException by the handler).
func (a *API) JSONTarget(target string) bool {
	op, ok := strings.CutPrefix(target, "AmazonSQS.")
	return ok && op != ""
}

// QueryAction reports whether a query protocol Action is an SQS operation
// (and no SNS one).
func (a *API) QueryAction(action string) bool {
	_, ok := a.ops[action]
	return ok && !sharedActions[action]
}

// Handler serves both protocols: a request with X-Amz-Target is JSON 1.0,
// any other is the query protocol (a form posted to / or to a queue URL
// path /<account>/<queue>, or the same parameters in a GET query string).
// Every response carries x-amzn-RequestId.
func (a *API) Handler() http.Handler {
	return http.HandlerFunc(a.serve)
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	id := uuid.NewString()
	w.Header().Set(hdrRequestID, id)
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if t := r.Header.Get(hdrTarget); t != "" {
		a.serveJSON(w, r, t)
		return
	}
	a.serveQuery(w, r, id)
}

func (a *API) serveJSON(w http.ResponseWriter, r *http.Request, target string) {
	name, _ := strings.CutPrefix(target, "AmazonSQS.")
	op, ok := a.ops[name]
	if !ok || !a.JSONTarget(target) || r.Method != http.MethodPost {
		writeJSONError(w, errUnknownOperation, "Unknown operation "+target)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSONError(w, errInvalidParameter, "read request body: "+err.Error())
		return
	}
	in, err := decodeJSON(body)
	if err == nil {
		var out any
		if out, err = op(r.Context(), &call{in: in, r: r}); err == nil {
			writeJSON(w, out)
			return
		}
	}
	e, msg := a.resolve(name, err)
	writeJSONError(w, e, msg)
}

func (a *API) serveQuery(w http.ResponseWriter, r *http.Request, id string) {
	if err := r.ParseForm(); err != nil {
		writeXMLError(w, errInvalidParameter, "malformed query request: "+err.Error(), id)
		return
	}
	action := r.Form.Get("Action")
	op, ok := a.ops[action]
	if !ok {
		msg := "The action " + action + " is not valid for this endpoint."
		if action == "" {
			msg = "The request has no Action parameter."
		}
		writeXMLError(w, errUnknownOperation, msg, id)
		return
	}
	in, err := decodeQuery(r.Form)
	if err == nil {
		c := &call{in: in, r: r}
		if p := strings.Trim(r.URL.Path, "/"); p != "" {
			c.pathQueue = p
		}
		var out any
		if out, err = op(r.Context(), c); err == nil {
			writeXML(w, action, id, out)
			return
		}
	}
	e, msg := a.resolve(action, err)
	writeXMLError(w, e, msg, id)
}

// resolve maps err to its SQS error, logging internal errors.
func (a *API) resolve(op string, err error) (awsError, string) {
	e, msg, internal := resolve(err)
	if internal {
		a.log.Error("sqs api", "op", op, "err", err)
	} else if e.status >= 500 {
		a.log.Warn("sqs api", "op", op, "err", err)
	}
	return e, msg
}
