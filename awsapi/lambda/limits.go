package lambdaapi

import (
	"net/http"

	"github.com/ferry-run/ferry"
)

// MaxRequestBytes is the largest request body the operation r names
// accepts, so a front door can refuse a larger one before reading it:
// ~70 MB for CreateFunction and UpdateFunctionCode (a 50 MB zip, base64
// in JSON), Invoke's payload limit (6 MB synchronous, 1 MB with
// InvocationType Event), 1 MiB for every other operation.
func (a *API) MaxRequestBytes(r *http.Request) int64 {
	_, pattern := a.mux.Handler(r)
	switch pattern {
	case "POST /2015-03-31/functions", "PUT /2015-03-31/functions/{name}/code":
		return maxCodeRequestBytes
	case "POST /2015-03-31/functions/{name}/invocations":
		if r.Header.Get(hdrInvocationType) == ferry.InvokeEvent {
			return ferry.MaxAsyncPayload
		}
		return ferry.MaxSyncPayload
	}
	return maxBodyBytes
}
