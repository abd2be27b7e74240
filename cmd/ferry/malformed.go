package main

import (
	"encoding/xml"
	"net/http"

	"github.com/google/uuid"
)

// malformed answers a query-protocol request (SQS or SNS) whose body or
// query string cannot be read, e.g. a broken chunked encoding: the
// client's mistake, answered 400 in the query protocols' XML error shape.
func malformed(w http.ResponseWriter, err error) {
	type xmlError struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	id := uuid.NewString()
	body := struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Error     xmlError `xml:"Error"`
		RequestID string   `xml:"RequestId"`
	}{Error: xmlError{"Sender", "MalformedQueryString", "the request could not be read: " + err.Error()}, RequestID: id}
	w.Header().Set("x-amzn-RequestId", id)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	_ = xml.NewEncoder(w).Encode(body)
}
