package bus_test

import "time"

// runtimeGosched yields briefly inside polling loops that wait on a deadline.
func runtimeGosched() { <-time.After(5 * time.Millisecond) }
