package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// natsFlags protect the NATS port (--nats-listen) and reach an external
// cluster (--nats-url).
type natsFlags struct {
	creds          string
	tlsCert        string
	tlsKey         string
	tlsCA          string
	allowPlaintext bool
}

func (n *natsFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&n.creds, "nats-creds", "", "file with the NATS user:password (0600): what clients of --nats-listen present (default DATA/"+
		natsjs.CredentialsFileName+", generated), or what Ferry presents to --nats-url (a NATS .creds file works there too)")
	fs.StringVar(&n.tlsCert, "nats-tls-cert", "", "serve --nats-listen over TLS with this certificate (PEM)")
	fs.StringVar(&n.tlsKey, "nats-tls-key", "", "the key of --nats-tls-cert (PEM)")
	fs.StringVar(&n.tlsCA, "nats-tls-ca", "", "verify the --nats-url cluster's certificate with this CA (PEM; default the system's)")
	fs.BoolVar(&n.allowPlaintext, "nats-allow-plaintext", false, "let --nats-listen be a non-loopback address without TLS (credentials cross the network in clear)")
}

func (n natsFlags) auth() natsjs.AuthConfig {
	return natsjs.AuthConfig{CredentialsFile: n.creds, TLSCert: n.tlsCert, TLSKey: n.tlsKey,
		TLSCA: n.tlsCA, AllowPlaintext: n.allowPlaintext}
}

// checkNATSConfig refuses a NATS port open to the network in clear, and
// TLS settings that would be ignored.
func (c *Config) checkNATSConfig() error {
	a := c.NATSAuth
	if (a.TLSCert == "") != (a.TLSKey == "") {
		return ferry.Errorf(ferry.EINVALID, "--nats-tls-cert and --nats-tls-key go together")
	}
	if c.NATSURL != "" && a.TLSCert != "" {
		return ferry.Errorf(ferry.EINVALID, "--nats-tls-cert serves --nats-listen; to verify the --nats-url cluster use --nats-tls-ca")
	}
	if c.NATSURL == "" && a.TLSCA != "" {
		return ferry.Errorf(ferry.EINVALID, "--nats-tls-ca verifies the --nats-url cluster, and there is none")
	}
	if c.NATSURL == "" && c.NATSListen != "" && !natsjs.IsLoopback(c.NATSListen) && a.TLSCert == "" && !a.AllowPlaintext {
		return ferry.Errorf(ferry.EINVALID, "--nats-listen %s is not a loopback address: serve it over TLS (--nats-tls-cert and --nats-tls-key) or pass --nats-allow-plaintext", c.NATSListen)
	}
	return nil
}

// natsBanner says where the NATS port is and which credentials its clients
// present; "" when it is not open.
func natsBanner(m *Main) string {
	url := m.Engine.ClientURL()
	if url == "" {
		return ""
	}
	return fmt.Sprintf("NATS on %s (clients present the credentials in %s)", url, m.Engine.CredentialsPath())
}
