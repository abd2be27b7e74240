package snsapi

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/topic"
)

// wireError is an SNS error code and HTTP status. The codes are the ones
// aws-sdk-go-v2 maps to typed errors: NotFound -> types.NotFoundException,
// InvalidParameter -> types.InvalidParameterException, ParameterValueInvalid
// -> types.InvalidParameterValueException, ResourceNotFound ->
// types.ResourceNotFoundException, and so on.
type wireError struct {
	status int
	code   string
}

// SNS errors named by the API layer itself.
var (
	errInvalidParameter = wireError{http.StatusBadRequest, "InvalidParameter"}
	errInvalidValue     = wireError{http.StatusBadRequest, "ParameterValueInvalid"}
	errResourceNotFound = wireError{http.StatusNotFound, "ResourceNotFound"}
	errInvalidAction    = wireError{http.StatusBadRequest, "InvalidAction"}
	errMissingAction    = wireError{http.StatusBadRequest, "MissingAction"}
	errMethod           = wireError{http.StatusMethodNotAllowed, "InvalidAction"}
	errTagLimit         = wireError{http.StatusBadRequest, "TagLimitExceeded"}
)

// errorTable maps ferry error codes to SNS errors. Together with batchErrors
// it is the only place that does so.
var errorTable = map[string]wireError{
	ferry.ENOTFOUND:     {http.StatusNotFound, "NotFound"},
	ferry.EINVALID:      errInvalidParameter,
	ferry.EINVALIDJSON:  errInvalidParameter,
	ferry.ETOOLARGE:     errInvalidParameter, // SNS: "Invalid parameter: Message too long"
	ferry.ECONFLICT:     {http.StatusBadRequest, "ConcurrentAccess"},
	ferry.ETHROTTLED:    {http.StatusTooManyRequests, "Throttled"},
	ferry.EUNAVAILABLE:  {http.StatusServiceUnavailable, "ServiceUnavailable"},
	ferry.EUNAUTHORIZED: {http.StatusForbidden, "AuthorizationError"},
	ferry.ESIGNATURE:    {http.StatusForbidden, "AuthorizationError"},
}

// batchErrors are the topic service's PublishBatch request errors and the
// SNS exceptions they are.
var batchErrors = []struct {
	err error
	we  wireError
}{
	{topic.ErrEmptyBatch, wireError{http.StatusBadRequest, "EmptyBatchRequest"}},
	{topic.ErrTooManyEntries, wireError{http.StatusBadRequest, "TooManyEntriesInBatchRequest"}},
	{topic.ErrBatchIDsNotDistinct, wireError{http.StatusBadRequest, "BatchEntryIdsNotDistinct"}},
	{topic.ErrInvalidBatchID, wireError{http.StatusBadRequest, "InvalidBatchEntryId"}},
	{topic.ErrBatchTooLong, wireError{http.StatusBadRequest, "BatchRequestTooLong"}},
}

// defaultError is what EINTERNAL, or an error without a code, becomes.
var defaultError = wireError{http.StatusInternalServerError, "InternalError"}

// apiError is an error the API layer names with an SNS code directly.
type apiError struct {
	we  wireError
	msg string
}

func (e *apiError) Error() string { return e.msg }

func invalidParameter(format string, args ...any) error {
	return &apiError{errInvalidParameter, fmt.Sprintf(format, args...)}
}

func invalidValue(format string, args ...any) error {
	return &apiError{errInvalidValue, fmt.Sprintf(format, args...)}
}

// lookupError returns the wire error for err.
func lookupError(err error) wireError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.we
	}
	for _, b := range batchErrors {
		if errors.Is(err, b.err) {
			return b.we
		}
	}
	if we, ok := errorTable[ferry.ErrorCode(err)]; ok {
		return we
	}
	return defaultError
}

// errorMessage is the message sent for err; internal details stay in the log.
func (a *API) errorMessage(err error, we wireError, action string) string {
	var ae *apiError
	var fe *ferry.Error
	switch {
	case errors.As(err, &ae):
		return ae.msg
	case we.status >= 500 && !errors.As(err, &fe):
		a.log.Error("sns api", "action", action, "err", err)
		return "An internal error occurred"
	}
	return ferry.ErrorMessage(err)
}

// errorResponse is the XML body of every SNS error.
type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Error     errorXML `xml:"Error"`
	RequestID string   `xml:"RequestId"`
}

type errorXML struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// writeError writes err as an SNS error response.
func (a *API) writeError(w http.ResponseWriter, reqID, action string, err error) {
	we := lookupError(err)
	a.writeWireError(w, reqID, we, a.errorMessage(err, we, action))
}

func (a *API) writeWireError(w http.ResponseWriter, reqID string, we wireError, msg string) {
	typ := "Sender"
	if we.status >= 500 {
		typ = "Receiver"
	}
	writeXML(w, we.status, errorResponse{
		Xmlns:     Namespace,
		Error:     errorXML{Type: typ, Code: we.code, Message: ferry.CapMessage(msg)},
		RequestID: reqID,
	})
}
