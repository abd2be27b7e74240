package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferry-run/ferry"
	eventsapi "github.com/ferry-run/ferry/awsapi/events"
	"github.com/ferry-run/ferry/awsapi/sigv4"
	snsapi "github.com/ferry-run/ferry/awsapi/sns"
	sqsapi "github.com/ferry-run/ferry/awsapi/sqs"
	"github.com/ferry-run/ferry/web"
)

// maxOtherBody bounds the body of any request on the API port that no
// protocol below claims (Ferry's own endpoints, unknown operations).
const maxOtherBody = 1 << 20

// bodyLimit is the largest body the API port reads for r, by the protocol
// and operation r names: AWS's request size for the operation.
func (m *Main) bodyLimit(r *http.Request) int64 {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, web.Prefix):
		// The dashboard's invoke wraps a synchronous payload.
		return ferry.MaxSyncPayload + maxOtherBody
	case m.isLambdaPath(p):
		return m.Lambda.MaxRequestBytes(r)
	}
	switch target := r.Header.Get("X-Amz-Target"); {
	case strings.HasPrefix(target, "AWSEvents."):
		return eventsapi.MaxRequestBytes
	case m.SQS.JSONTarget(target):
		return sqsapi.MaxRequestBytes
	case target != "":
		return maxOtherBody
	}
	// The query protocols (SQS's XML form and SNS) are told apart only by
	// the body itself.
	return max(sqsapi.MaxRequestBytes, snsapi.MaxRequestBytes)
}

// limitBodies refuses a request whose Content-Length is over its
// operation's limit before reading any of it (413, in the protocol's error
// shape, naming the limit), and cuts a chunked body off past the limit.
// The limit+1 cut lets each API's own check (which reads limit+1 bytes)
// name the error as it always has.
func (m *Main) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := m.bodyLimit(r)
		if m.isLambdaPath(r.URL.Path) {
			if m.Lambda.RefuseTooLarge(w, r) {
				return
			}
		} else if r.ContentLength > limit {
			m.rejectAuth(w, r, sigv4.TooLarge(limit))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit+1)
		}
		next.ServeHTTP(w, r)
	})
}

// newVerifier is the API port's signature check: each operation's body
// limit, large bodies spooled under the data dir while they are hashed.
func (m *Main) newVerifier() *sigv4.Verifier {
	v := &sigv4.Verifier{Keys: m.Config.AccessKeys, Limit: m.bodyLimit, Lookup: m.fnKeys.lookup}
	dir := filepath.Join(m.Config.DataDir, "spool")
	if err := os.MkdirAll(dir, 0o700); err == nil {
		v.SpoolDir = dir
	}
	return v
}
