package main

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ferry-run/ferry"
)

// DefaultShutdownTimeout bounds Close in `ferry server` and `ferry up`.
const DefaultShutdownTimeout = 10 * time.Second

// registerEngine adds the flags about the store and shutdown.
func (f *serverFlags) registerEngine(fs *pflag.FlagSet) {
	fs.StringVar(&f.historyMax, "history-max", "auto",
		"most space the invocation history takes (e.g. 256MiB, 1GiB); auto: a tenth of the store's free space, between 16MiB and 1GiB")
	fs.DurationVar(&f.shutdown, "shutdown-timeout", DefaultShutdownTimeout,
		"how long stopping may take: running invocations finish until then; those cut short run again after a restart")
}

// shutdownTimeout is cfg's bound on Close.
func (cfg Config) shutdownTimeout() time.Duration {
	if cfg.ShutdownTimeout > 0 {
		return cfg.ShutdownTimeout
	}
	return DefaultShutdownTimeout
}

// engineReserve is the share of the shutdown time kept for what follows
// the in-flight work: killing function instances and closing the store
// (at most maxEngineReserve).
const (
	engineReserve    = 0.2
	maxEngineReserve = 2 * time.Second
)

// beforeEngine is the context of the parts with in-flight work to finish
// (front doors, topics, buses, the async engine): it ends early enough to
// leave time to kill function instances and close the store.
func beforeEngine(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	reserve := min(time.Duration(float64(time.Until(deadline))*engineReserve), maxEngineReserve)
	return context.WithDeadline(ctx, deadline.Add(-reserve))
}

// sizeUnits are the suffixes parseSize accepts, longest first.
var sizeUnits = []struct {
	suffix string
	n      int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

// parseSize reads a byte size such as 512MiB, 1GiB, 100MB or 1048576;
// "auto" (or empty) is 0, the default.
func parseSize(flag, s string) (int64, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if v == "" || v == "auto" {
		return 0, nil
	}
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.n
			break
		}
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n <= 0 || n*float64(mult) > 1<<62 {
		return 0, ferry.Errorf(ferry.EINVALID, "%s %q: want a size such as 256MiB, 1GiB or auto", flag, s)
	}
	size := int64(n * float64(mult))
	if size < 1<<20 {
		return 0, ferry.Errorf(ferry.EINVALID, "%s %q: at least 1MiB", flag, s)
	}
	return size, nil
}
