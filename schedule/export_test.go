package schedule

// RequestID is the request id of the occurrence of schedule name at t.
var RequestID = requestID
