package supervisor

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"github.com/ferry-run/ferry"
)

// readVmHWM returns the peak resident set size of pid in bytes from /proc.
func readVmHWM(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("supervisor: read status of %d: %w", pid, err)
	}
	return parseVmHWM(b)
}

func parseVmHWM(status []byte) (int64, error) {
	for line := range bytes.SplitSeq(status, []byte{'\n'}) {
		rest, ok := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) < 1 {
			break
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			break
		}
		return kb * 1024, nil
	}
	return 0, ferry.Errorf(ferry.EINTERNAL, "supervisor: no VmHWM line in process status")
}
