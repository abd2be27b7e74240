package eventsapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ferry-run/ferry"
)

// Wire constants of the JSON 1.1 protocol.
const (
	hdrRequestID = "X-Amzn-Requestid" // canonical form of x-amzn-RequestId
	contentType  = "application/x-amz-json-1.1"
)

// Error codes local to this package, beside ferry's.
const (
	eUnknownOperation = "eventsapi.unknown_operation" // no such X-Amz-Target
	eSerialization    = "eventsapi.serialization"     // the body is not the request's JSON shape
	eBadPattern       = "eventsapi.bad_pattern"       // an EventPattern does not compile
	eUnsupported      = "eventsapi.unsupported"       // a parameter or operation Ferry cannot honour
	eManagedRule      = "eventsapi.managed_rule"      // a managed rule changed without Force
)

// wireError is an EventBridge exception name and HTTP status.
type wireError struct {
	status int
	name   string
}

var (
	validation        = wireError{http.StatusBadRequest, "ValidationException"}
	notFound          = wireError{http.StatusBadRequest, "ResourceNotFoundException"}
	alreadyExists     = wireError{http.StatusBadRequest, "ResourceAlreadyExistsException"}
	concurrentChange  = wireError{http.StatusBadRequest, "ConcurrentModificationException"}
	internalException = wireError{http.StatusInternalServerError, "InternalException"}
)

// errorKey selects a wire error: a code, optionally for one operation ("" is
// every operation).
type errorKey struct {
	op, code string
}

// errorTable maps ferry error codes to EventBridge exceptions. It is the only
// place that does so; an operation-specific row wins over the general one.
var errorTable = map[errorKey]wireError{
	{"", ferry.ENOTFOUND}:               notFound,
	{"", ferry.EINVALID}:                validation,
	{"", ferry.EINVALIDJSON}:            validation,
	{"", ferry.ETOOLARGE}:               validation,
	{"", eUnsupported}:                  validation,
	{"", ferry.ECONFLICT}:               concurrentChange,
	{"", ferry.ETHROTTLED}:              {http.StatusBadRequest, "ThrottlingException"},
	{"", ferry.EUNAVAILABLE}:            {http.StatusServiceUnavailable, "InternalException"},
	{"", eUnknownOperation}:             {http.StatusBadRequest, "UnknownOperationException"},
	{"", eSerialization}:                {http.StatusBadRequest, "SerializationException"},
	{"", eBadPattern}:                   {http.StatusBadRequest, "InvalidEventPatternException"},
	{"", eManagedRule}:                  {http.StatusBadRequest, "ManagedRuleException"},
	{"CreateEventBus", ferry.ECONFLICT}: alreadyExists,
	{"CreateArchive", ferry.ECONFLICT}:  alreadyExists,
	{"StartReplay", ferry.ECONFLICT}:    alreadyExists,
	// A rule with targets, or a bus with rules, is in use: EventBridge
	// answers ValidationException.
	{"DeleteRule", ferry.ECONFLICT}: validation,
	// CancelReplay of a replay that is not running.
	{"CancelReplay", ferry.ECONFLICT}:   {http.StatusBadRequest, "IllegalStatusException"},
	{"DeleteEventBus", ferry.ECONFLICT}: validation,
}

// entryErrorTable maps ferry codes to the ErrorCode of a failed PutEvents
// entry (the codes EventBridge documents for PutEventsResultEntry).
var entryErrorTable = map[string]string{
	ferry.EINVALID:     "InvalidArgument",
	ferry.ENOTFOUND:    "InvalidArgument",
	ferry.ETOOLARGE:    "InvalidArgument",
	eUnsupported:       "InvalidArgument",
	ferry.EINVALIDJSON: "MalformedDetail",
	ferry.ETHROTTLED:   "ThrottlingException",
}

// lookupError returns the wire error for err raised by operation op.
func lookupError(op string, err error) wireError {
	code := ferry.ErrorCode(err)
	if we, ok := errorTable[errorKey{op, code}]; ok {
		return we
	}
	if we, ok := errorTable[errorKey{"", code}]; ok {
		return we
	}
	return internalException
}

// entryErrorCode returns the PutEvents entry ErrorCode for a ferry code.
func entryErrorCode(code string) string {
	if c, ok := entryErrorTable[code]; ok {
		return c
	}
	return "InternalFailure"
}

// errorBody is the JSON body of every EventBridge error.
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// writeError writes err as an EventBridge error response for operation op.
func (a *API) writeError(w http.ResponseWriter, op string, err error) {
	we := lookupError(op, err)
	msg := ferry.ErrorMessage(err)
	if we == notFound {
		msg = reword(msg)
	}
	var fe *ferry.Error
	if we.status >= 500 {
		a.log.Error("eventbridge api", "op", op, "err", err)
		if !errors.As(err, &fe) {
			msg = "An internal error occurred"
		}
	}
	b, _ := json.Marshal(errorBody{Type: we.name, Message: ferry.CapMessage(msg)})
	h := w.Header()
	h.Set("Content-Type", contentType)
	w.WriteHeader(we.status)
	_, _ = w.Write(b)
}
