package main

import (
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/ferry-run/ferry"
)

// parseServerFlags parses args as `ferry server` would and returns the config.
func parseServerFlags(t *testing.T, args ...string) (Config, error) {
	t.Helper()
	var f serverFlags
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	f.register(fs, ".ferry")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	return f.config()
}

func TestHistoryMaxAndShutdownTimeoutFlags(t *testing.T) {
	t.Parallel()
	cfg, err := parseServerFlags(t)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HistoryMax != 0 || cfg.ShutdownTimeout != 10*time.Second || cfg.shutdownTimeout() != 10*time.Second {
		t.Errorf("defaults: history max %d (want 0: sized to the disk), shutdown timeout %s (want 10s)", cfg.HistoryMax, cfg.ShutdownTimeout)
	}
	if got := (Config{}).shutdownTimeout(); got != DefaultShutdownTimeout {
		t.Errorf("shutdown timeout of a zero Config = %s, want %s", got, DefaultShutdownTimeout)
	}
	for _, c := range []struct {
		arg  string
		want int64
	}{
		{"auto", 0},
		{"64MiB", 64 << 20},
		{"1GiB", 1 << 30},
		{"1.5g", 3 << 29},
		{"500MB", 500e6},
		{"2097152", 2 << 20},
		{"256 mib", 256 << 20},
	} {
		cfg, err := parseServerFlags(t, "--history-max", c.arg)
		if err != nil {
			t.Errorf("--history-max %s: %v", c.arg, err)
			continue
		}
		if cfg.HistoryMax != c.want {
			t.Errorf("--history-max %s = %d, want %d", c.arg, cfg.HistoryMax, c.want)
		}
	}
	for _, bad := range []string{"lots", "-1GiB", "0", "10KiB", "1XB"} {
		if _, err := parseServerFlags(t, "--history-max", bad); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("--history-max %q: err = %v, want an invalid-flag error", bad, err)
		}
	}
	cfg, err = parseServerFlags(t, "--shutdown-timeout", "3s")
	if err != nil || cfg.ShutdownTimeout != 3*time.Second {
		t.Errorf("--shutdown-timeout 3s: %v, %s", err, cfg.ShutdownTimeout)
	}
	if _, err := parseServerFlags(t, "--shutdown-timeout", "0s"); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("--shutdown-timeout 0s: err = %v, want an invalid-flag error", err)
	}
}
