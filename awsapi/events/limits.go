package eventsapi

// MaxRequestBytes is the largest request body the API reads (PutEvents
// entries with JSON escaping), for a front door that refuses a larger one
// before reading it.
const MaxRequestBytes = maxBody
