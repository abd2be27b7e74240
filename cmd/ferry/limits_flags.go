package main

import (
	"github.com/spf13/pflag"

	"github.com/ferry-run/ferry"
)

// registerLimits adds the listener limit flags of the API and gateway ports.
func (f *serverFlags) registerLimits(fs *pflag.FlagSet) {
	fs.IntVar(&f.limits.MaxConnections, "max-connections", ferry.DefaultMaxConnections,
		"connections served at once on each of the API and gateway ports; more wait (leaves file descriptors for the store)")
	fs.DurationVar(&f.limits.ReadHeaderTimeout, "read-header-timeout", ferry.DefaultReadHeaderTimeout,
		"time a client has to send a request's headers")
	fs.DurationVar(&f.limits.ReadTimeout, "read-timeout", ferry.DefaultReadTimeout,
		"time a client has to send a whole request, body included (raise it for large code uploads over slow links)")
	fs.DurationVar(&f.limits.IdleTimeout, "http-idle-timeout", ferry.DefaultIdleTimeout,
		"close a keep-alive connection idle this long")
}
