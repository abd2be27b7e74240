package topic

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

const signerKey = "signer.rsa"

// signer signs notifications as SNS does and caches one signature per
// message and version (the string to sign does not depend on the
// subscription).
type signer struct {
	key  *rsa.PrivateKey
	cert []byte // PEM

	mu    sync.Mutex
	cache map[string]*sigEntry
}

type signerRecord struct {
	Key  []byte `json:"key"`
	Cert []byte `json:"cert"`
}

// loadSigner reads the signing key pair from the bucket, creating it on first use.
func loadSigner(ctx context.Context, kv jetstream.KeyValue) (*signer, error) {
	for range 2 {
		e, err := kv.Get(ctx, signerKey)
		if err == nil {
			var rec signerRecord
			if err := json.Unmarshal(e.Value(), &rec); err != nil {
				return nil, fmt.Errorf("signing key record: %w", err)
			}
			blk, _ := pem.Decode(rec.Key)
			if blk == nil {
				return nil, errors.New("signing key record holds no PEM key")
			}
			key, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("signing key: %w", err)
			}
			return &signer{key: key, cert: rec.Cert, cache: map[string]*sigEntry{}}, nil
		}
		if !isNotFound(err) {
			return nil, fmt.Errorf("read signing key: %w", err)
		}
		rec, err := newSignerRecord()
		if err != nil {
			return nil, err
		}
		b, _ := json.Marshal(rec)
		if _, err := kv.Create(ctx, signerKey, b); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("store signing key: %w", err)
		}
	}
	return nil, errors.New("signing key vanished while being created")
}

func newSignerRecord() (*signerRecord, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "sns.ferry.local", Organization: []string{"Ferry"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(20, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create signing certificate: %w", err)
	}
	return &signerRecord{
		Key:  pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		Cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}, nil
}

// stringToSign is SNS's canonical form of a Notification.
func stringToSign(m *stored, topicArn string) string {
	var b strings.Builder
	w := func(k, v string) { b.WriteString(k); b.WriteByte('\n'); b.WriteString(v); b.WriteByte('\n') }
	w("Message", m.Message)
	w("MessageId", m.MessageID)
	if m.Subject != "" {
		w("Subject", m.Subject)
	}
	w("Timestamp", snsTime(m.Timestamp))
	w("TopicArn", topicArn)
	w("Type", "Notification")
	return b.String()
}

// sigEntry is one cached signature; the first caller computes it while
// concurrent deliveries of the same message wait instead of signing again.
type sigEntry struct {
	once sync.Once
	sig  string
	err  error
}

// sign returns the base64 signature of m for version "1" (SHA1withRSA) or
// "2" (SHA256withRSA).
func (g *signer) sign(m *stored, topicArn, version string) (string, error) {
	ck := m.MessageID + "/" + version
	g.mu.Lock()
	e := g.cache[ck]
	if e == nil {
		if len(g.cache) >= 4096 {
			clear(g.cache)
		}
		e = &sigEntry{}
		g.cache[ck] = e
	}
	g.mu.Unlock()
	e.once.Do(func() { e.sig, e.err = g.compute(m, topicArn, version) })
	return e.sig, e.err
}

func (g *signer) compute(m *stored, topicArn, version string) (string, error) {
	msg := []byte(stringToSign(m, topicArn))
	var raw []byte
	var err error
	if version == "2" {
		h := sha256.Sum256(msg)
		raw, err = rsa.SignPKCS1v15(nil, g.key, crypto.SHA256, h[:])
	} else {
		h := sha1.Sum(msg)
		raw, err = rsa.SignPKCS1v15(nil, g.key, crypto.SHA1, h[:])
	}
	if err != nil {
		return "", fmt.Errorf("sign message %s: %w", m.MessageID, err)
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// SigningCertificate is the PEM certificate whose key signs notifications;
// the API layer serves it at CertificatePath.
func (s *Service) SigningCertificate() []byte {
	if s.signer == nil {
		return nil
	}
	return s.signer.cert
}

func snsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
