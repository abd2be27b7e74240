package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/ferry-run/ferry/control"
	"github.com/ferry-run/ferry/web"
)

// queuePath is the path of a queue URL: /<account>/<queue>.
var queuePath = regexp.MustCompile(`^/\d{12}/[^/]+$`)

// apiHandler routes the AWS APIs that share one port: Lambda by path,
// the JSON protocols by X-Amz-Target, the query protocols by Action.
func (m *Main) apiHandler() http.Handler {
	lambda := m.Lambda.Handler()
	prefixes := m.Lambda.Routes()
	events := m.Events.Handler()
	sqs := m.SQS.Handler()
	sns := m.SNS.Handler()
	dash := m.Dashboard.Handler()
	ctl := m.Control.Handler()
	ops := http.NewServeMux()
	ops.Handle("GET /metrics", m.Metrics.Handler())
	ops.HandleFunc("GET /healthz", m.healthz)
	ops.HandleFunc("GET /readyz", m.readyz)
	ops.Handle("GET /_ferry/logs", m.Logs)
	profiles := pprofHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.Config.Pprof && isPprofPath(r.URL.Path) {
			profiles.ServeHTTP(w, r)
			return
		}
		switch r.URL.Path {
		case "/metrics", "/healthz", "/readyz", "/_ferry/logs":
			ops.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, control.Prefix) {
			ctl.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, web.Prefix) {
			dash.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == m.SNS.CertificatePath() {
			sns.ServeHTTP(w, r)
			return
		}
		for _, p := range prefixes {
			if strings.HasPrefix(r.URL.Path, p) {
				if msg := lambdaContentType(r); msg != "" {
					m.refuseContentType(w, r, msg)
					return
				}
				lambda.ServeHTTP(w, r)
				return
			}
		}
		switch target := r.Header.Get("X-Amz-Target"); {
		case strings.HasPrefix(target, "AWSEvents."):
			if msg := jsonContentType(r, ctEventsJSON, "EventBridge"); msg != "" {
				m.refuseContentType(w, r, msg)
				return
			}
			events.ServeHTTP(w, r)
			return
		case m.SQS.JSONTarget(target):
			if msg := jsonContentType(r, ctSQSJSON, "SQS"); msg != "" {
				m.refuseContentType(w, r, msg)
				return
			}
			sqs.ServeHTTP(w, r)
			return
		case target != "":
			unknown(w, r)
			return
		}
		if msg := queryContentType(r); msg != "" {
			m.refuseContentType(w, r, msg)
			return
		}
		err := r.ParseForm()
		if err == nil {
			action := r.Form.Get("Action")
			toSNS := m.SNS.QueryAction(action) && r.Form.Get("QueueUrl") == "" && !queuePath.MatchString(r.URL.Path)
			toSQS := !toSNS && (m.SQS.QueryAction(action) || queuePath.MatchString(r.URL.Path) || r.Form.Get("QueueUrl") != "")
			if msg := queryMethod(r, action); (toSNS || toSQS) && msg != "" {
				m.refuseMethod(w, r, msg)
				return
			}
			if toSNS {
				sns.ServeHTTP(w, r)
				return
			}
			if toSQS {
				sqs.ServeHTTP(w, r)
				return
			}
			// Any other query action is answered by SNS, in its XML error
			// shape (InvalidAction).
			if action != "" {
				sns.ServeHTTP(w, r)
				return
			}
			unknown(w, r)
			return
		}
		malformed(w, err)
	})
}

func unknown(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	b, _ := json.Marshal(map[string]string{"__type": "UnknownOperationException", "message": "no Ferry API serves " + r.Method + " " + r.URL.Path})
	_, _ = w.Write(b)
}
