package ferry

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits of the AWS names and ids Ferry accepts, from AWS's API references.
// Every id or name a client supplies is checked against its limit before it
// becomes part of a subject or a key in the engine.
const (
	MaxFunctionName = 64  // Lambda function name
	MaxFunctionARN  = 170 // Lambda FunctionName as a qualified ARN
	MaxQueueName    = 80  // SQS queue name, ".fifo" included
	MaxTopicName    = 256 // SNS topic name
	MaxBusName      = 256 // EventBridge bus name
	MaxBusNameOrARN = 1600
	MaxRuleName     = 64 // EventBridge rule name, also target ids and replay names
	MaxArchiveName  = 48 // EventBridge archive name
	MaxARN          = 1600
)

// ValidChars reports whether s is 1-max bytes of ASCII letters, digits and
// the characters in extra.
func ValidChars(s string, max int, extra string) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte(extra, c) >= 0:
		default:
			return false
		}
	}
	return true
}

// ValidQueueName reports whether s is an SQS queue name: 1-80 letters,
// digits, '-' and '_', a FIFO queue's name ending in ".fifo".
func ValidQueueName(s string) bool {
	return len(s) <= MaxQueueName && ValidChars(strings.TrimSuffix(s, ".fifo"), MaxQueueName, "-_")
}

// ValidTopicName reports whether s is an SNS topic name: 1-256 letters,
// digits, '-' and '_', a FIFO topic's name ending in ".fifo".
func ValidTopicName(s string) bool {
	return len(s) <= MaxTopicName && ValidChars(strings.TrimSuffix(s, ".fifo"), MaxTopicName, "-_")
}

// ValidRuleName reports whether s is an EventBridge rule, replay or target
// id: 1-64 of [.\-_A-Za-z0-9].
func ValidRuleName(s string) bool { return ValidChars(s, MaxRuleName, ".-_") }

// ValidBusName reports whether s is an EventBridge bus name: 1-256 of
// [/.\-_A-Za-z0-9].
func ValidBusName(s string) bool { return ValidChars(s, MaxBusName, "/.-_") }

// ValidRequestID reports whether s could be a request id Ferry gave an
// invocation. Ferry's ids are UUIDs; anything over 64 bytes or holding
// other than letters, digits, '-' and '_' cannot be one.
func ValidRequestID(s string) bool { return ValidChars(s, 64, "-_") }

// ValidTraceID reports whether s could be a trace header Ferry gives
// events: at most 256 printable ASCII characters without spaces.
func ValidTraceID(s string) bool {
	if len(s) == 0 || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// Shorten quotes s for an error message, cut to its first 64 bytes when it
// is longer, so a 4,000-character id does not fill the answer.
func Shorten(s string) string {
	const keep = 64
	if len(s) <= keep {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:keep], len(s))
}

// MaxErrorMessage bounds the message of an error answer.
const MaxErrorMessage = 1024

// CapMessage cuts an error message to MaxErrorMessage bytes (at a
// character boundary), so an answer never echoes a client's oversized value
// in full.
func CapMessage(msg string) string {
	if len(msg) <= MaxErrorMessage {
		return msg
	}
	cut := MaxErrorMessage
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", msg[:cut], len(msg))
}
