package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchSmoke runs `ferry bench` with tiny counts, the load from a
// separate client process and the Go function a re-executed binary, and
// checks that every row measured something and the ratios are printed.
func TestBenchSmoke(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	cmd := newBenchCommand()
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"--rounds", "1", "--duration", "150ms", "--conns", "2", "--drain-events", "20"})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := cmd.ExecuteContext(ctx); err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	got := out.String()
	t.Log(got)
	if !strings.Contains(got, "load from a separate client process") {
		t.Errorf("bench does not say where the client runs:\n%s", got)
	}
	rows := regexp.MustCompile(`(?m)^\| (.+) \| (\d+) \| (\d+) \| (\d+) \|$`).FindAllStringSubmatch(got, -1)
	if len(rows) != 6 {
		t.Fatalf("want 6 measured rows, got %d:\n%s", len(rows), got)
	}
	for _, r := range rows {
		if med, _ := strconv.Atoi(r[3]); med <= 0 {
			t.Errorf("row %q measured nothing", r[1])
		}
	}
	for _, want := range []string{"ratio  Ferry async accept / net/http 202 floor", "ratio  sync Node invoke, 2 conns / 1 conn", "Node.js instances started for the sync invokes (at most 2 connections): "} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

func TestBenchRefusesBadOptions(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--rounds", "0"}, {"--client", "elsewhere"}, {"--conns", "0"}} {
		cmd := newBenchCommand()
		cmd.SetOut(&strings.Builder{})
		cmd.SetArgs(args)
		err := cmd.ExecuteContext(context.Background())
		if err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: got %v, want an error naming %s", args, err, args[0])
		}
	}
}
