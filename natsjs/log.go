package natsjs

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats-server/v2/server"
)

// serverLog carries the embedded nats-server's log into Ferry's logger:
// warnings and errors at their own level, notices (startup banners,
// JetStream starting or restarting) at debug. The server's own debug and
// trace output is never produced (the server is told they are off).
type serverLog struct{ log *slog.Logger }

var _ server.Logger = serverLog{}

func (l serverLog) emit(level slog.Level, format string, v []any) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, fmt.Sprintf(format, v...), "component", "nats-server")
}

func (l serverLog) Noticef(format string, v ...any) { l.emit(slog.LevelDebug, format, v) }
func (l serverLog) Warnf(format string, v ...any)   { l.emit(slog.LevelWarn, format, v) }
func (l serverLog) Errorf(format string, v ...any)  { l.emit(slog.LevelError, format, v) }

// Fatalf is logged as an error: the embedded server never exits Ferry's
// process (a fatal start error is returned by Start instead).
func (l serverLog) Fatalf(format string, v ...any) { l.emit(slog.LevelError, format, v) }
func (l serverLog) Debugf(string, ...any)          {}
func (l serverLog) Tracef(string, ...any)          {}
