package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// nodeFileName is the file in the data dir holding this server's node id.
const nodeFileName = "node-id"

// nodeName returns this server's name in a cluster: the --node flag, else
// the host name and a random suffix chosen on the data dir's first start
// and kept in it, so a restarted server is the same node.
func nodeName(dataDir, flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	p := filepath.Join(dataDir, nodeFileName)
	if b, err := os.ReadFile(p); err == nil {
		if s := strings.TrimSpace(string(b)); s != "" {
			return s, nil
		}
	} else if !os.IsNotExist(err) {
		return "", fmt.Errorf("node id: %w", err)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "ferry"
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	id := host + "-" + hex.EncodeToString(r[:])
	if err := os.WriteFile(p, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("node id: %w", err)
	}
	return id, nil
}
