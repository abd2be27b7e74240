// Package rapi serves the AWS Lambda Runtime API (version 2018-06-01) to one
// function instance: GET invocation/next, POST invocation/{id}/response,
// POST invocation/{id}/error and POST init/error. It owns the HTTP side only;
// the instance's state machine, which decides whether a request is allowed,
// is the Runtime it is given.
package rapi

import (
	"context"
	"encoding/json"
	"time"
)

// Header names of the Runtime API.
const (
	HeaderRequestID      = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMs     = "Lambda-Runtime-Deadline-Ms"
	HeaderFunctionARN    = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID        = "Lambda-Runtime-Trace-Id"
	HeaderClientContext  = "Lambda-Runtime-Client-Context"
	HeaderCognito        = "Lambda-Runtime-Cognito-Identity"
	HeaderErrorType      = "Lambda-Runtime-Function-Error-Type"
	HeaderErrorBody      = "Lambda-Runtime-Function-Error-Body" // trailer, base64
	ErrTypeResponseLarge = "Function.ResponseSizeTooLarge"
)

// MaxResponse is the largest response or error body accepted (the 6 MB
// synchronous payload limit).
const MaxResponse = 6 << 20

// Invocation is one event handed to the runtime by GET /next.
type Invocation struct {
	RequestID     string
	Payload       []byte
	Deadline      time.Time
	FunctionARN   string
	TraceID       string
	ClientContext string // JSON, already decoded from base64
}

// Runtime is the instance behind a Server. Each method is called from the
// handler of one endpoint and returns nil or an *Error naming why the request
// is refused.
type Runtime interface {
	// Next blocks until an invocation is assigned to the runtime or ctx ends.
	// The first call marks the end of initialisation; each later call marks
	// the previous invocation finished.
	Next(ctx context.Context) (*Invocation, error)
	// Respond records the response of invocation requestID.
	Respond(requestID string, body []byte) error
	// Fail records the error of invocation requestID. errorType is the
	// Lambda-Runtime-Function-Error-Type header (may be empty); body is the
	// error document as sent.
	Fail(requestID, errorType string, body []byte) error
	// InitFail records an initialisation error.
	InitFail(errorType string, body []byte) error
}

// Error is a refused Runtime API request, rendered as
// {"errorMessage":...,"errorType":...} with Status.
type Error struct {
	Status  int
	Type    string
	Message string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// ErrInvalidRequestID refuses a request naming an invocation that is not the
// current one (400 InvalidRequestID).
func ErrInvalidRequestID(id string) *Error {
	return &Error{Status: 400, Type: "InvalidRequestID", Message: "Invalid request ID: " + id}
}

// ErrInvalidState refuses a request the instance's state does not allow
// (403 InvalidStateTransition).
func ErrInvalidState(msg string) *Error {
	return &Error{Status: 403, Type: "InvalidStateTransition", Message: msg}
}

// ErrorBody is the JSON error document of the Runtime API.
type ErrorBody struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
	// RequestID is kept when the runtime sends it (AWS's Python runtime
	// does, "" for an init error), so callers see the document as on AWS.
	RequestID  *string         `json:"requestId,omitempty"`
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
	// Trace is the Node.js runtime's stack: its lines, "Error: message" first.
	Trace json.RawMessage `json:"trace,omitempty"`
}

// NormalizeError parses an error document sent by a runtime into
// {errorMessage, errorType, stackTrace}. When the body is not such a document,
// or names no type, headerType (or "Runtime.Unknown") is used and the raw
// body becomes the message.
func NormalizeError(headerType string, body []byte) ErrorBody {
	var eb ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		eb = ErrorBody{ErrorMessage: string(body)}
	}
	if eb.ErrorType == "" {
		eb.ErrorType = headerType
	}
	if eb.ErrorType == "" {
		eb.ErrorType = "Runtime.Unknown"
	}
	if len(eb.StackTrace) > 0 && string(eb.StackTrace) == "null" {
		eb.StackTrace = nil
	}
	if len(eb.Trace) > 0 && string(eb.Trace) == "null" {
		eb.Trace = nil
	}
	return eb
}

// JSON returns the document's encoding.
func (e ErrorBody) JSON() []byte {
	b, err := json.Marshal(e)
	if err != nil { // a stack trace that is not valid JSON: drop it
		e.StackTrace, e.Trace = nil, nil
		b, _ = json.Marshal(e)
	}
	return b
}
