package lambdaapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ferry-run/ferry"
)

// Header names of the Lambda wire protocol.
const (
	hdrRequestID      = "X-Amzn-Requestid" // canonical form of x-amzn-RequestId
	hdrErrorType      = "X-Amzn-Errortype"
	hdrInvocationType = "X-Amz-Invocation-Type"
	hdrLogType        = "X-Amz-Log-Type"
	hdrLogResult      = "X-Amz-Log-Result"
	hdrClientContext  = "X-Amz-Client-Context"
	hdrFunctionError  = "X-Amz-Function-Error"
	hdrExecVersion    = "X-Amz-Executed-Version"
)

// wireError is an AWS exception name and HTTP status.
type wireError struct {
	status int
	name   string
}

// errorTable maps ferry error codes to Lambda exceptions. It is the only
// place that does so.
var errorTable = map[string]wireError{
	ferry.ENOTFOUND:    {http.StatusNotFound, "ResourceNotFoundException"},
	ferry.ETOOLARGE:    {http.StatusRequestEntityTooLarge, "RequestTooLargeException"},
	ferry.EINVALIDJSON: {http.StatusBadRequest, "InvalidRequestContentException"},
	ferry.EINVALID:     {http.StatusBadRequest, "InvalidParameterValueException"},
	ferry.ECONFLICT:    {http.StatusConflict, "ResourceConflictException"},
	ferry.ETHROTTLED:   {http.StatusTooManyRequests, "TooManyRequestsException"},
	ferry.EUNAVAILABLE: {http.StatusServiceUnavailable, "ServiceException"},
	ferry.ELOOP:        {http.StatusBadRequest, "RecursiveInvocationException"},
	// Invoke of a function whose runtime Ferry cannot run, as Lambda answers
	// an invoke of a deprecated runtime.
	ferry.ERUNTIME: {http.StatusBadGateway, "InvalidRuntimeException"},
	eValidation:    {http.StatusBadRequest, "ValidationException"},
	ePrecondition:  {http.StatusPreconditionFailed, "PreconditionFailedException"},
}

// ePrecondition is a RevisionId that no longer matches.
const ePrecondition = "lambdaapi.precondition"

// eValidation is a request that fails the API model's constraints (a
// required member missing, a pattern not matched), which Lambda answers
// with ValidationException.
const eValidation = "lambdaapi.validation"

// defaultError is what any other code (EINTERNAL, or an error without one)
// becomes.
var defaultError = wireError{http.StatusInternalServerError, "ServiceException"}

// unknownOperation answers a path or method under the owned prefixes that
// names no operation.
var unknownOperation = wireError{http.StatusNotFound, "UnknownOperationException"}

// errorBody is the JSON body of every Lambda error. Reason is set for
// TooManyRequestsException only.
type errorBody struct {
	Type    string `json:"Type"`
	Message string `json:"message"`
	Reason  string `json:"Reason,omitempty"`
}

// lookupError returns the wire error for err.
func lookupError(err error) wireError {
	if we, ok := errorTable[ferry.ErrorCode(err)]; ok {
		return we
	}
	return defaultError
}

// writeError writes err as a Lambda error response.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	a.writeErrorReason(w, r, err, "")
}

// writeErrorReason writes err with a throttle reason.
func (a *API) writeErrorReason(w http.ResponseWriter, r *http.Request, err error, reason string) {
	we := lookupError(err)
	msg := ferry.ErrorMessage(err)
	typ := "User"
	if we.status >= 500 {
		typ = "Service"
		var fe *ferry.Error
		if !errors.As(err, &fe) {
			// Internal details stay in the server log.
			a.log.Error("lambda api", "method", r.Method, "path", r.URL.Path, "err", err)
			msg = "An internal error occurred"
		}
	}
	if we.name != "TooManyRequestsException" {
		reason = ""
	}
	writeErrorBody(w, we, errorBody{Type: typ, Message: ferry.CapMessage(msg), Reason: reason})
}

func writeUnknownOperation(w http.ResponseWriter, r *http.Request) {
	writeErrorBody(w, unknownOperation, errorBody{Type: "User",
		Message: "Unknown operation " + r.Method + " " + r.URL.Path})
}

func writeErrorBody(w http.ResponseWriter, we wireError, body errorBody) {
	h := w.Header()
	h.Set(hdrErrorType, we.name)
	h.Set("Content-Type", "application/json")
	w.WriteHeader(we.status)
	_ = json.NewEncoder(w).Encode(body)
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeErrorBody(w, defaultError, errorBody{Type: "Service", Message: "encode response: " + err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
