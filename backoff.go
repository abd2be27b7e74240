package ferry

import "time"

// Backoff is the delay before the n-th retry (n >= 1) of an exponential
// backoff: base, doubled for each earlier retry, never more than ceiling.
// n < 1 counts as 1.
func Backoff(n int, base, ceiling time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}
