package main

import (
	"net"

	"github.com/ferry-run/ferry/stack"
)

// stackEndpoint is the base of the queue URLs a stack's Ref of a queue
// yields under `ferry up`: the API address it serves, so a function that
// sends to a queue URL from its environment (the AWS SDKs may send to the
// URL's host) reaches this server. The default address keeps
// stack.DefaultEndpoint.
func stackEndpoint(apiAddr string) string {
	host, port, err := net.SplitHostPort(apiAddr)
	if err != nil || port == "0" {
		return stack.DefaultEndpoint
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
