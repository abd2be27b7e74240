package sigv4

import (
	"net"
	"net/netip"
	"strings"
)

// IsLoopback reports whether addr, a listen address such as
// "127.0.0.1:4566", "[::1]:4566", "localhost:4566" or a bare host, only
// accepts connections from this machine. An empty host (":4566"), an
// unspecified one ("0.0.0.0") and any other name are not loopback: auth
// is then required.
func IsLoopback(addr string) bool {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if i := strings.IndexByte(host, '%'); i >= 0 { // zone, as in fe80::1%lo
		host = host[:i]
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
