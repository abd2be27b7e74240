package lambdaapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
	lambdaapi "github.com/ferry-run/ferry/awsapi/lambda"
)

// TestErrorWireShape checks the raw error response the SDKs parse.
func TestErrorWireShape(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := lambdaapi.New(lambdaapi.Config{Functions: b.store, Invoker: b.inv, Async: b.inv}).Handler()
	cases := []struct {
		method, path string
		status       int
		errorType    string
	}{
		{"POST", "/2015-03-31/functions/ghost/invocations", 404, "ResourceNotFoundException"},
		{"GET", "/2015-03-31/functions/ghost/unknown", 404, "UnknownOperationException"},
		{"PATCH", "/2015-03-31/functions/ghost", 404, "UnknownOperationException"},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, strings.NewReader("{}")))
		if rec.Code != c.status || rec.Header().Get("X-Amzn-ErrorType") != c.errorType {
			t.Errorf("%s %s: %d %q, want %d %q", c.method, c.path, rec.Code, rec.Header().Get("X-Amzn-ErrorType"), c.status, c.errorType)
		}
		if rec.Header().Get("x-amzn-RequestId") == "" {
			t.Errorf("%s %s: no x-amzn-RequestId", c.method, c.path)
		}
		var body struct {
			Type    string
			Message string `json:"message"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Type != "User" || body.Message == "" {
			t.Errorf("%s %s: body %s (%v)", c.method, c.path, rec.Body.Bytes(), err)
		}
	}
	// Internal errors do not leak details.
	b.putFunction(t, &ferry.Function{Name: "f"})
	b.inv.result = func(*ferry.InvokeRequest) (*ferry.Result, error) { return nil, http.ErrHandlerTimeout }
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/2015-03-31/functions/f/invocations", nil))
	if rec.Code != 500 || rec.Header().Get("X-Amzn-ErrorType") != "ServiceException" || strings.Contains(rec.Body.String(), "timeout") {
		t.Errorf("internal error: %d %q %s", rec.Code, rec.Header().Get("X-Amzn-ErrorType"), rec.Body.String())
	}
}
