package main

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/ferry-run/ferry/awsapi/sigv4"
)

// The content type each AWS protocol's requests carry, as the AWS SDKs
// send them. A web page can send three content types to another site
// without asking first (text/plain, application/x-www-form-urlencoded,
// multipart/form-data); requiring the protocol's own type keeps a page's
// plain fetch, sendBeacon or form from being taken for an API call.
const (
	ctSQSJSON    = "application/x-amz-json-1.0" // SQS (JSON 1.0)
	ctEventsJSON = "application/x-amz-json-1.1" // EventBridge (JSON 1.1)
	ctQuery      = "application/x-www-form-urlencoded"
	ctJSON       = "application/json" // Lambda's JSON bodies
)

// mediaType is r's Content-Type without parameters, in lower case; "" when
// there is none.
func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(ct))
	}
	return mt
}

// pageSendable are the content types a page sends to another site without
// a CORS preflight.
var pageSendable = map[string]bool{
	"text/plain": true, "application/x-www-form-urlencoded": true, "multipart/form-data": true,
}

// lambdaContentType checks a Lambda REST request: a JSON body must say
// application/json; an Invoke payload may be any type (the SDKs send
// application/octet-stream) but one a page can send without asking.
func lambdaContentType(r *http.Request) string {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return ""
	}
	ct := mediaType(r)
	if strings.HasSuffix(r.URL.Path, "/invocations") {
		if pageSendable[ct] {
			return fmt.Sprintf("Content-Type %s is not accepted for Invoke: send the payload as application/json or application/octet-stream", ct)
		}
		return ""
	}
	if ct == ctJSON || ct == "" && r.ContentLength == 0 {
		return ""
	}
	if ct == "" {
		return "a Lambda request body must be sent with Content-Type application/json, which is missing"
	}
	return fmt.Sprintf("a Lambda request body must be sent with Content-Type application/json, not %s", ct)
}

// jsonContentType checks a JSON-protocol request (X-Amz-Target) against
// the content type of its service.
func jsonContentType(r *http.Request, want, service string) string {
	if ct := mediaType(r); ct != want {
		if ct == "" {
			ct = "none"
		}
		return fmt.Sprintf("%s's JSON protocol takes Content-Type %s, got %s", service, want, ct)
	}
	return ""
}

// queryLinkAction are the query actions SNS hands out as links to follow
// with GET (SubscribeURL and UnsubscribeURL).
var queryLinkAction = map[string]bool{"ConfirmSubscription": true, "Unsubscribe": true}

// queryContentType checks a query-protocol request (SQS, SNS) before its
// form is read: a POST must be a form.
func queryContentType(r *http.Request) string {
	if r.Method == http.MethodPost && mediaType(r) != ctQuery {
		ct := mediaType(r)
		if ct == "" {
			ct = "none"
		}
		return fmt.Sprintf("the query protocol (SQS, SNS) takes Content-Type %s, got %s", ctQuery, ct)
	}
	return ""
}

// queryMethod checks a query-protocol action's method once its form is
// read: POST, or GET for the links SNS hands out.
func queryMethod(r *http.Request, action string) string {
	if r.Method == http.MethodPost || r.Method == http.MethodGet && queryLinkAction[action] {
		return ""
	}
	return fmt.Sprintf("%s takes POST with Content-Type %s, not %s", action, ctQuery, r.Method)
}

// refuseContentType answers a request sent with the wrong content type:
// 415 UnsupportedMediaTypeException in the protocol's error shape.
func (m *Main) refuseContentType(w http.ResponseWriter, r *http.Request, msg string) {
	m.rejectAuth(w, r, &sigv4.AuthError{Code: "UnsupportedMediaTypeException", Message: msg, Status: http.StatusUnsupportedMediaType})
}

// refuseMethod answers a query action sent with the wrong method: 405
// InvalidAction in the query protocol's error shape.
func (m *Main) refuseMethod(w http.ResponseWriter, r *http.Request, msg string) {
	w.Header().Set("Allow", http.MethodPost)
	m.rejectAuth(w, r, &sigv4.AuthError{Code: "InvalidAction", Message: msg, Status: http.StatusMethodNotAllowed})
}
