package main

import (
	"os"
	"testing"
)

// TestMain lets `ferry bench` re-execute the test binary as its client
// process and its Go function, as it does the ferry binary.
func TestMain(m *testing.M) {
	if ok, code := runBenchRole(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}
