package ferry

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// NewTraceID returns a new trace header in the X-Ray form Lambda uses,
// "Root=1-<8 hex digits of the epoch second>-<24 hex digits>". The trace id
// follows an event across every hop so its path can be shown.
func NewTraceID(now time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s", now.Unix(), hex.EncodeToString(b[:]))
}
