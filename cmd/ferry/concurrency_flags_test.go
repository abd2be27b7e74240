package main

import (
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
)

func TestConcurrencyAndPprofFlags(t *testing.T) {
	t.Parallel()
	cfg, err := parseServerFlags(t)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Concurrency != 1000 || cfg.Pprof {
		t.Errorf("defaults: concurrency %d (want AWS's 1000), pprof %v (want off)", cfg.Concurrency, cfg.Pprof)
	}
	cfg, err = parseServerFlags(t, "--concurrency", "40", "--pprof")
	if err != nil || cfg.Concurrency != 40 || !cfg.Pprof {
		t.Errorf("--concurrency 40 --pprof: concurrency %d, pprof %v, err %v", cfg.Concurrency, cfg.Pprof, err)
	}
	for _, bad := range []string{"0", "-3"} {
		_, err := parseServerFlags(t, "--concurrency", bad)
		if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(err.Error(), "--concurrency") {
			t.Errorf("--concurrency %s: got %v, want an EINVALID error naming the flag", bad, err)
		}
	}
}
