package natsjs

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"golang.org/x/crypto/bcrypt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// CredentialsFileName is the file in the data dir that holds the embedded
// server's generated credentials ("user:password", mode 0600).
const CredentialsFileName = "nats-credentials"

// credentialsUser is the user name of generated credentials.
const credentialsUser = "ferry"

// AuthConfig says how clients prove who they are to the engine, and how the
// client port is protected on the wire.
type AuthConfig struct {
	// CredentialsFile holds "user:password" on one line. Embedded: every
	// client, Ferry's own in-process connection included, must present
	// it; by default it is DataDir/nats-credentials, generated on first
	// start and reused afterwards. URL: the credentials Ferry presents to
	// the external cluster; a NATS user credentials file (JWT and nkey
	// seed, as `nsc` writes) is accepted there too. Userinfo in the URL
	// works as well.
	CredentialsFile string
	// TLSCert and TLSKey serve the embedded server's client port over TLS.
	TLSCert, TLSKey string
	// TLSCA verifies the external cluster's certificate (URL only); by
	// default the system's roots.
	TLSCA string
	// AllowPlaintext lets Listen be a non-loopback address without TLS.
	AllowPlaintext bool
}

// Credentials are a NATS user name and password.
type Credentials struct {
	User, Password string
}

// ReadCredentials reads a "user:password" credentials file. It refuses a
// file that other users can read.
func ReadCredentials(path string) (Credentials, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("NATS credentials: %w", err)
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return Credentials{}, fmt.Errorf("NATS credentials file %s is open to other users (mode %#o); chmod 600 it", path, m)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("NATS credentials: %w", err)
	}
	user, pass, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
	if !ok || user == "" || pass == "" || strings.ContainsAny(user+pass, "\n\r") {
		return Credentials{}, fmt.Errorf("NATS credentials file %s: want one line user:password", path)
	}
	return Credentials{User: user, Password: pass}, nil
}

// ensureCredentials returns the credentials stored in dir, generating a
// random password (written 0600, then renamed into place) on first use.
func ensureCredentials(dir string) (Credentials, string, error) {
	path := filepath.Join(dir, CredentialsFileName)
	if _, err := os.Stat(path); err == nil {
		c, err := ReadCredentials(path)
		return c, path, err
	} else if !errors.Is(err, os.ErrNotExist) {
		return Credentials{}, "", fmt.Errorf("NATS credentials: %w", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return Credentials{}, "", err
	}
	c := Credentials{User: credentialsUser, Password: base64.RawURLEncoding.EncodeToString(b)}
	tmp, err := os.CreateTemp(dir, CredentialsFileName+".*")
	if err != nil {
		return Credentials{}, "", fmt.Errorf("NATS credentials: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file 0600; say so anyway, before anything is in it.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return Credentials{}, "", err
	}
	_, werr := fmt.Fprintf(tmp, "%s:%s\n", c.User, c.Password)
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		return Credentials{}, "", fmt.Errorf("NATS credentials: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return Credentials{}, "", fmt.Errorf("NATS credentials: %w", err)
	}
	return c, path, nil
}

// isJWTCredentials reports whether path is a NATS user credentials file.
func isJWTCredentials(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), "BEGIN NATS USER JWT")
}

// clientOptions are the options Ferry connects to an external cluster with.
func (a AuthConfig) clientOptions() ([]nats.Option, error) {
	var opts []nats.Option
	if f := a.CredentialsFile; f != "" {
		if isJWTCredentials(f) {
			opts = append(opts, nats.UserCredentials(f))
		} else {
			c, err := ReadCredentials(f)
			if err != nil {
				return nil, err
			}
			opts = append(opts, nats.UserInfo(c.User, c.Password))
		}
	}
	if a.TLSCA != "" {
		opts = append(opts, nats.RootCAs(a.TLSCA))
	}
	return opts, nil
}

// secure configures the embedded server's authorization and TLS, and
// returns the credentials Ferry's own connection presents. Client
// authorization that ServerConfig already sets is kept; Ferry then connects
// with CredentialsFile, which must name a user of it.
func (e *Engine) secure(opts *server.Options) (Credentials, error) {
	a := e.cfg.Auth
	ownAuth := opts.Username != "" || opts.Authorization != "" || len(opts.Users) > 0 ||
		len(opts.Nkeys) > 0 || len(opts.TrustedOperators) > 0 || len(opts.TrustedKeys) > 0
	if ownAuth && a.CredentialsFile == "" {
		return Credentials{}, errors.New("natsjs: ServerConfig sets its own client authorization; give a credentials file naming one of its users")
	}
	var (
		c   Credentials
		err error
	)
	if a.CredentialsFile != "" {
		c, err = ReadCredentials(a.CredentialsFile)
		e.credsPath = a.CredentialsFile
	} else {
		c, e.credsPath, err = ensureCredentials(e.cfg.DataDir)
	}
	if err != nil {
		return Credentials{}, err
	}
	if !ownAuth {
		// The server holds only a bcrypt hash of the password. The password
		// is 256 random bits, so the lowest cost is enough and keeps
		// connecting cheap.
		hash, err := bcrypt.GenerateFromPassword([]byte(c.Password), bcrypt.MinCost)
		if err != nil {
			return Credentials{}, fmt.Errorf("natsjs: hash the NATS password: %w", err)
		}
		opts.Username, opts.Password = c.User, string(hash)
	}
	if (a.TLSCert == "") != (a.TLSKey == "") {
		return Credentials{}, errors.New("natsjs: TLS needs both a certificate and a key")
	}
	if a.TLSCert != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: a.TLSCert, KeyFile: a.TLSKey})
		if err != nil {
			return Credentials{}, fmt.Errorf("NATS TLS: %w", err)
		}
		opts.TLSConfig, opts.TLS = tc, true
	}
	if e.cfg.Listen != "" && opts.TLSConfig == nil && !a.AllowPlaintext && !IsLoopback(e.cfg.Listen) {
		return Credentials{}, fmt.Errorf("natsjs: NATS listen address %s is not a loopback address: serve it over TLS or allow plaintext explicitly", e.cfg.Listen)
	}
	return c, nil
}

// IsLoopback reports whether the host of a host:port listen address is a
// loopback address ("localhost", 127.0.0.0/8, ::1). An empty host listens
// on every interface and is not.
func IsLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CredentialsPath is the credentials file clients of the embedded server
// present ("" when connected to an external cluster).
func (e *Engine) CredentialsPath() string { return e.credsPath }
