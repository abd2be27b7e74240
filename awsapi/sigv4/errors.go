package sigv4

import (
	"fmt"
	"net/http"
)

// Kinds of refusal. Each has one name per protocol family in kindTable.
const (
	kindMissing = iota + 1
	kindUnknownKey
	kindSignature
	kindIncomplete
	kindExpired
	kindTooLarge
	kindInternal
)

// Protocols accepted by CodeFor and StatusFor.
const (
	ProtocolJSON  = "json"  // awsJson1.0/1.1: SQS, EventBridge
	ProtocolQuery = "query" // awsQuery: SNS, SQS's XML form
	ProtocolREST  = "rest"  // restJson1: Lambda
)

// wireName is an error's name and status in one protocol family.
type wireName struct {
	name   string
	status int
}

// kindTable is the one place that maps refusals to each protocol's wire
// names: index 0 for JSON and REST, 1 for query.
var kindTable = map[int][2]wireName{
	kindMissing: {
		{"MissingAuthenticationTokenException", http.StatusForbidden},
		{"MissingAuthenticationToken", http.StatusForbidden}},
	kindUnknownKey: {
		{"UnrecognizedClientException", http.StatusForbidden},
		{"InvalidClientTokenId", http.StatusForbidden}},
	kindSignature: {
		{"InvalidSignatureException", http.StatusForbidden},
		{"SignatureDoesNotMatch", http.StatusForbidden}},
	kindIncomplete: {
		{"IncompleteSignatureException", http.StatusBadRequest},
		{"IncompleteSignature", http.StatusBadRequest}},
	kindExpired: {
		{"InvalidSignatureException", http.StatusForbidden},
		{"RequestExpired", http.StatusBadRequest}},
	kindTooLarge: {
		{"RequestEntityTooLargeException", http.StatusRequestEntityTooLarge},
		{"RequestEntityTooLarge", http.StatusRequestEntityTooLarge}},
	kindInternal: {
		{"InternalFailure", http.StatusInternalServerError},
		{"InternalFailure", http.StatusInternalServerError}},
}

// AuthError is why a request was refused. Code and Status are the names
// the AWS JSON protocols use (InvalidSignatureException, 403);
// CodeFor and StatusFor give the other protocols' names.
type AuthError struct {
	Code    string
	Message string
	Status  int
	kind    int
}

func (e *AuthError) Error() string { return e.Code + ": " + e.Message }

// CodeFor returns the error name protocol ("json", "query" or "rest") uses
// for e: for example UnrecognizedClientException in JSON is
// InvalidClientTokenId in query, and an expired signature
// (InvalidSignatureException) is RequestExpired. An unknown protocol gets
// the JSON name.
func (e *AuthError) CodeFor(protocol string) string {
	return e.wire(protocol).name
}

// StatusFor returns the HTTP status protocol uses for e.
func (e *AuthError) StatusFor(protocol string) int {
	return e.wire(protocol).status
}

func (e *AuthError) wire(protocol string) wireName {
	names, ok := kindTable[e.kind]
	if !ok {
		return wireName{e.Code, e.Status}
	}
	if protocol == ProtocolQuery {
		return names[1]
	}
	return names[0]
}

func authErrorf(kind int, format string, args ...any) *AuthError {
	w := kindTable[kind][0]
	return &AuthError{Code: w.name, Message: fmt.Sprintf(format, args...), Status: w.status, kind: kind}
}

// errMismatch is the message AWS gives for a signature that does not match.
const errMismatch = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

// errDeclaredHash is the message for a body that does not match its
// X-Amz-Content-Sha256.
const errDeclaredHash = "The provided 'x-amz-content-sha256' header does not match what was computed."
