// Package snsapi is the Amazon SNS query-protocol front door: it decodes
// POST / (or GET /?...) requests carrying Action=<Operation>&Version=2010-03-31
// form parameters, runs them on a topic.Service and answers in SNS's XML, so
// aws-sdk-go-v2's sns client and the AWS CLI work against Ferry with a custom
// endpoint. It owns the wire format only; topics, subscriptions and delivery
// are the topic package's. It also serves the notification signing
// certificate at topic.CertificatePath.
//
// Served: CreateTopic, DeleteTopic, ListTopics, GetTopicAttributes,
// SetTopicAttributes, Subscribe, ConfirmSubscription, Unsubscribe,
// ListSubscriptions, ListSubscriptionsByTopic, GetSubscriptionAttributes,
// SetSubscriptionAttributes, Publish, PublishBatch, ListTagsForResource,
// TagResource and UntagResource.
//
// Refused by name (InvalidParameter): tags (Ferry stores none; ListTagsForResource
// answers an empty list and UntagResource succeeds), DataProtectionPolicy,
// FIFO topics and MessageGroupId/MessageDeduplicationId, PhoneNumber and
// platform-endpoint TargetArns, and a MessageStructure=json message whose
// lambda, sqs, http or https entry differs from its default entry (every
// Ferry subscription receives the default message). ConfirmSubscription
// accepts only a subscription ARN as token: Ferry confirms subscriptions at
// once and sends no confirmation tokens.
package snsapi

import (
	"bytes"
	"context"
	"encoding/xml"
	"log/slog"
	"net/http"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/topic"
)

// Namespace is the XML namespace of SNS responses.
const Namespace = "http://sns.amazonaws.com/doc/2010-03-31/"

// Version is the SNS API version this package speaks.
const Version = "2010-03-31"

// maxRequestBytes bounds a request body: a 256 KiB message URL-encoded, with
// its attributes, fits well within it.
const maxRequestBytes = 4 << 20

// Config holds the API's dependencies.
type Config struct {
	Realm  ferry.Realm
	Topics *topic.Service
	// Meta stores topic tags and policies; the default keeps them in memory.
	Meta   ferry.ResourceMeta
	Logger *slog.Logger
}

// API serves the SNS query protocol.
type API struct {
	realm   ferry.Realm
	topics  *topic.Service
	log     *slog.Logger
	meta    ferry.ResourceMeta
	actions map[string]action
}

// request is one decoded query request.
type request struct {
	p       params
	traceID string
}

// action runs one operation and returns its result element (nil for
// operations without one).
type action func(ctx context.Context, r *request) (any, error)

// New returns an API on cfg.
func New(cfg Config) *API {
	if cfg.Realm == (ferry.Realm{}) {
		cfg.Realm = ferry.DefaultRealm
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Meta == nil {
		cfg.Meta = ferry.NewMemoryMeta()
	}
	a := &API{realm: cfg.Realm, topics: cfg.Topics, log: cfg.Logger, meta: cfg.Meta}
	a.actions = map[string]action{
		"CreateTopic":               a.createTopic,
		"DeleteTopic":               a.deleteTopic,
		"ListTopics":                a.listTopics,
		"GetTopicAttributes":        a.getTopicAttributes,
		"SetTopicAttributes":        a.setTopicAttributes,
		"Subscribe":                 a.subscribe,
		"ConfirmSubscription":       a.confirmSubscription,
		"Unsubscribe":               a.unsubscribe,
		"ListSubscriptions":         a.listSubscriptions,
		"ListSubscriptionsByTopic":  a.listSubscriptionsByTopic,
		"GetSubscriptionAttributes": a.getSubscriptionAttributes,
		"SetSubscriptionAttributes": a.setSubscriptionAttributes,
		"Publish":                   a.publish,
		"PublishBatch":              a.publishBatch,
		"ListTagsForResource":       a.listTagsForResource,
		"TagResource":               a.tagResource,
		"UntagResource":             a.untagResource,
		"AddPermission":             a.addPermission,
		"RemovePermission":          a.removePermission,
	}
	return a
}

// QueryAction reports whether action is an SNS operation this API serves,
// so a router can tell SNS query requests from other query protocols.
func (a *API) QueryAction(action string) bool {
	_, ok := a.actions[action]
	return ok
}

// CertificatePath is the path at which Handler serves the notification
// signing certificate (GET).
func (a *API) CertificatePath() string { return topic.CertificatePath }

// Handler returns the HTTP handler of the API: the signing certificate at
// CertificatePath and query requests at any other path.
func (a *API) Handler() http.Handler { return http.HandlerFunc(a.serve) }

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	reqID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", reqID)
	if r.URL.Path == topic.CertificatePath {
		a.serveCertificate(w, r)
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		a.writeWireError(w, reqID, errMethod, "SNS query requests use POST or GET, not "+r.Method)
		return
	}
	p, err := readParams(w, r)
	if err != nil {
		a.writeError(w, reqID, "", err)
		return
	}
	name := p.get("Action")
	if name == "" {
		a.writeWireError(w, reqID, errMissingAction, "the request must contain the parameter Action")
		return
	}
	act, ok := a.actions[name]
	if !ok {
		a.writeWireError(w, reqID, errInvalidAction, "the action "+name+" is not valid for this endpoint")
		return
	}
	if v := p.get("Version"); v != "" && v != Version {
		a.writeError(w, reqID, name, invalidParameter("Version %q is not supported; SNS speaks %s", v, Version))
		return
	}
	trace := r.Header.Get("X-Amzn-Trace-Id")
	if !ferry.ValidTraceID(trace) {
		trace = "" // as in AWS, a malformed trace header starts a new trace
	}
	result, err := act(r.Context(), &request{p: p, traceID: trace})
	if err != nil {
		a.writeError(w, reqID, name, err)
		return
	}
	writeXML(w, http.StatusOK, response{action: name, result: result, requestID: reqID})
}

// readParams decodes the query string and, for POST, the form body.
func readParams(w http.ResponseWriter, r *http.Request) (params, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
	if r.Method == http.MethodPost && r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if err := r.ParseForm(); err != nil {
		return nil, invalidParameter("malformed query request: %v", err)
	}
	return params(r.Form), nil
}

func (a *API) serveCertificate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(a.topics.SigningCertificate())
}

// response is the envelope of every successful answer:
// <ActionResponse xmlns><ActionResult>..</ActionResult><ResponseMetadata>.
type response struct {
	action    string
	result    any
	requestID string
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

func (r response) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	start := xml.StartElement{
		Name: xml.Name{Local: r.action + "Response"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: Namespace}},
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if r.result != nil {
		if err := e.EncodeElement(r.result, xml.StartElement{Name: xml.Name{Local: r.action + "Result"}}); err != nil {
			return err
		}
	}
	if err := e.EncodeElement(responseMetadata{r.requestID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

// writeXML writes v as the XML body with status.
func writeXML(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if err := xml.NewEncoder(&b).Encode(v); err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	b.WriteByte('\n')
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}
