package main

import "testing"

func TestStackEndpoint(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"127.0.0.1:4566": "http://127.0.0.1:4566", "127.0.0.1:5001": "http://127.0.0.1:5001",
		"0.0.0.0:4566": "http://127.0.0.1:4566", ":4567": "http://127.0.0.1:4567", "[::1]:4568": "http://[::1]:4568",
		"10.1.2.3:4566": "http://10.1.2.3:4566", "ferry.internal:80": "http://ferry.internal:80",
		"127.0.0.1:0": "http://localhost:4566", "bad": "http://localhost:4566",
	} {
		if got := stackEndpoint(addr); got != want {
			t.Errorf("stackEndpoint(%q) = %q, want %q", addr, got, want)
		}
	}
}
