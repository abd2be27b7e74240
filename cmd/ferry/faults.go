package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// crashEnv names a fault point at which the server kills itself, for crash
// tests: FERRY_TEST_CRASH_AFTER=<point> sends SIGKILL to the process the
// first time the point is reached; <point>,hold prints
// "ferry: fault point <point> reached" on stdout and blocks there instead,
// for a test that does something (reads the record) before it kills the
// server. Points: record-published (async: a record was delivered, its
// delivery not yet journaled), queue-published (queue: a deduplicated
// message is stored, its marker not yet set).
const crashEnv = "FERRY_TEST_CRASH_AFTER"

// faultHook returns the hook for crashEnv, nil when it is not set.
func faultHook() func(point string) {
	v := os.Getenv(crashEnv)
	if v == "" {
		return nil
	}
	want, mode, _ := strings.Cut(v, ",")
	return func(point string) {
		if point != want {
			return
		}
		if mode == "hold" {
			fmt.Fprintf(os.Stdout, "ferry: fault point %s reached\n", point)
			select {} // until the test kills the process
		}
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
}
