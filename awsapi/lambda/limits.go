package lambdaapi

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
)

// MaxRequestBytes is the largest request body the operation r names
// accepts, so a front door can refuse a larger one before reading it:
// ~70 MB for CreateFunction and UpdateFunctionCode (a 50 MB zip, base64
// in JSON), Invoke's payload limit (6 MB synchronous, 1 MB with
// InvocationType Event), 1 MiB for every other operation.
func (a *API) MaxRequestBytes(r *http.Request) int64 {
	limit, _ := a.requestLimit(r)
	return limit
}

// RefuseTooLarge answers r with RequestTooLargeException (413), naming the
// limit, when its Content-Length is over MaxRequestBytes, before any of
// the body is read; it reports whether it did.
func (a *API) RefuseTooLarge(w http.ResponseWriter, r *http.Request) bool {
	limit, op := a.requestLimit(r)
	if r.ContentLength <= limit {
		return false
	}
	w.Header().Set(hdrRequestID, uuid.NewString())
	a.writeError(w, r, ferry.Errorf(ferry.ETOOLARGE, "Request must be smaller than %d bytes for the %s operation", limit, op))
	return true
}

func (a *API) requestLimit(r *http.Request) (int64, string) {
	_, pattern := a.mux.Handler(r)
	switch pattern {
	case "POST /2015-03-31/functions":
		return maxCodeRequestBytes, "CreateFunction"
	case "PUT /2015-03-31/functions/{name}/code":
		return maxCodeRequestBytes, "UpdateFunctionCode"
	case "POST /2015-03-31/functions/{name}/invocations":
		if r.Header.Get(hdrInvocationType) == ferry.InvokeEvent {
			return ferry.MaxAsyncPayload, "InvokeAsync"
		}
		return ferry.MaxSyncPayload, "Invoke"
	}
	return maxBodyBytes, r.Method + " " + r.URL.Path
}
