package main

import (
	"net"

	"github.com/ferry-run/ferry/stack"
)

// stackEndpoint is the base of the queue URLs a stack's Ref of a queue
// yields under `ferry up`: the API address it serves, written as the
// functions' AWS_ENDPOINT_URL writes it (an unspecified host is 127.0.0.1),
// so a function that sends to a queue URL from its environment reaches this
// server (the AWS SDK for JavaScript sends to the URL's host) without the
// SDK's warning about a QueueUrl host that differs from its endpoint.
func stackEndpoint(apiAddr string) string {
	host, port, err := net.SplitHostPort(apiAddr)
	if err != nil || port == "0" {
		return stack.DefaultEndpoint
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
