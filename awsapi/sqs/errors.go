package sqsapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ferry-run/ferry"
)

// awsError is one SQS error as each wire shows it: the JSON 1.0 __type (a
// shape id the SDK resolves to a typed error), the query protocol Code (also
// sent to JSON clients in x-amzn-query-error) and the HTTP status. Statuses
// follow the SDK's model of each error.
type awsError struct {
	shape  string
	code   string
	status int
}

const sqsNS = "com.amazonaws.sqs#"

// The SQS errors Ferry answers with.
var (
	errQueueDoesNotExist  = awsError{sqsNS + "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", http.StatusBadRequest}
	errQueueNameExists    = awsError{sqsNS + "QueueNameExists", "QueueAlreadyExists", http.StatusBadRequest}
	errReceiptInvalid     = awsError{sqsNS + "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", http.StatusNotFound}
	errInvalidParameter   = awsError{sqsNS + "InvalidParameterValue", "InvalidParameterValue", http.StatusBadRequest}
	errMissingParameter   = awsError{sqsNS + "MissingParameter", "MissingParameter", http.StatusBadRequest}
	errInvalidAttrName    = awsError{sqsNS + "InvalidAttributeName", "InvalidAttributeName", http.StatusBadRequest}
	errInvalidAttrValue   = awsError{sqsNS + "InvalidAttributeValue", "InvalidAttributeValue", http.StatusBadRequest}
	errTooManyEntries     = awsError{sqsNS + "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", http.StatusBadRequest}
	errEmptyBatch         = awsError{sqsNS + "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", http.StatusBadRequest}
	errIDsNotDistinct     = awsError{sqsNS + "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", http.StatusBadRequest}
	errInvalidBatchID     = awsError{sqsNS + "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", http.StatusBadRequest}
	errBatchTooLong       = awsError{sqsNS + "BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", http.StatusBadRequest}
	errResourceNotFound   = awsError{sqsNS + "ResourceNotFoundException", "ResourceNotFoundException", http.StatusNotFound}
	errOverLimit          = awsError{sqsNS + "OverLimit", "OverLimit", http.StatusForbidden}
	errInvalidSecurity    = awsError{sqsNS + "InvalidSecurity", "InvalidSecurity", http.StatusForbidden}
	errSignature          = awsError{sqsNS + "InvalidSecurity", "SignatureDoesNotMatch", http.StatusForbidden}
	errServiceUnavailable = awsError{sqsNS + "ServiceUnavailable", "ServiceUnavailable", http.StatusServiceUnavailable}
	errInternal           = awsError{sqsNS + "InternalError", "InternalError", http.StatusInternalServerError}
	errUnknownOperation   = awsError{"com.amazon.coral.service#UnknownOperationException", "InvalidAction", http.StatusBadRequest}
)

// errorTable maps ferry error codes to SQS errors; each row carries both
// protocols' forms (JSON __type, query Code). It is the only place ferry
// codes become wire errors; operations that need a more specific SQS error
// (batch rules, attribute names, missing parameters) raise it by name with
// fail.
var errorTable = map[string]awsError{
	ferry.ENOTFOUND:     errQueueDoesNotExist,
	ferry.EINVALID:      errInvalidParameter,
	ferry.EINVALIDJSON:  errInvalidParameter,
	ferry.ETOOLARGE:     errInvalidParameter,
	ferry.ECONFLICT:     errQueueNameExists,
	ferry.ERECEIPT:      errReceiptInvalid,
	ferry.ETHROTTLED:    errOverLimit,
	ferry.EUNAVAILABLE:  errServiceUnavailable,
	ferry.EUNAUTHORIZED: errInvalidSecurity,
	ferry.ESIGNATURE:    errSignature,
}

// wireErr is an error the API layer raises as a specific SQS error.
type wireErr struct {
	aws awsError
	msg string
}

func (e *wireErr) Error() string { return e.msg }

// fail returns a wireErr of kind e.
func fail(e awsError, format string, args ...any) error {
	return &wireErr{aws: e, msg: fmt.Sprintf(format, args...)}
}

// as turns an error with ferry code into e, keeping its message; other
// errors are returned unchanged.
func as(err error, code string, e awsError) error {
	if err != nil && ferry.ErrorCode(err) == code {
		return &wireErr{aws: e, msg: ferry.ErrorMessage(err)}
	}
	return err
}

// resolve returns the SQS error and client-facing message for err, and
// whether the error is internal (its details then stay in the server log).
func resolve(err error) (awsError, string, bool) {
	var we *wireErr
	if errors.As(err, &we) {
		return we.aws, awsMessage(we.aws, we.msg), false
	}
	if e, ok := errorTable[ferry.ErrorCode(err)]; ok {
		return e, awsMessage(e, ferry.ErrorMessage(err)), false
	}
	return errInternal, "An internal error occurred", true
}

// fault is the query protocol's error Type and the x-amzn-query-error suffix.
func (e awsError) fault() string {
	if e.status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// entryError is the per-entry form of err in a batch result.
func entryError(id string, err error) batchError {
	e, msg, _ := resolve(err)
	return batchError{ID: id, SenderFault: e.status < 500, Code: e.code, Message: msg}
}

// awsMessage is the message SQS itself gives for errors whose wording
// clients and tools match on; other errors keep Ferry's message.
func awsMessage(e awsError, msg string) string {
	if e == errQueueDoesNotExist {
		return "The specified queue does not exist."
	}
	return msg
}
