package sqsapi

// MaxRequestBytes is the largest request body the API reads (a 1 MiB
// message, JSON-escaped or form-encoded), for a front door that refuses a
// larger one before reading it.
const MaxRequestBytes = maxBody
