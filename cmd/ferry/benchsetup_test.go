package main

import (
	"context"
	"net"
	"testing"
	"time"
)

func setupBench(b *testing.B) *Main {
	b.Helper()
	m := NewMain(Config{DataDir: b.TempDir(), APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0", ClockScale: 0.001})
	if err := m.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		m.Close(ctx)
	})
	return m
}

func listenLoopback(b *testing.B) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	return ln
}
