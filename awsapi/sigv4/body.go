package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"os"
	"sync"
)

// Defaults of the body spool.
const (
	DefaultMemoryBody  = 256 << 10
	DefaultMaxSpooling = 4
)

// spooled is a request body read whole and hashed before its signature is
// known good: in memory when small, else in an unlinked temporary file.
type spooled struct {
	mem  []byte
	file *os.File
	name string // set only where the file could not be unlinked at once
	once sync.Once
}

// reader returns the body from its first byte; Close frees it.
func (s *spooled) reader() io.ReadCloser {
	if s.file == nil {
		return io.NopCloser(bytes.NewReader(s.mem))
	}
	return spoolReader{s}
}

// free closes and removes the spool file, if any. Idempotent.
func (s *spooled) free() {
	s.once.Do(func() {
		if s.file != nil {
			_ = s.file.Close()
			if s.name != "" {
				_ = os.Remove(s.name)
			}
		}
	})
}

type spoolReader struct{ s *spooled }

func (r spoolReader) Read(p []byte) (int, error) { return r.s.file.Read(p) }
func (r spoolReader) Close() error               { r.s.free(); return nil }

// limitFor is the largest body v reads for r.
func (v *Verifier) limitFor(r *http.Request) int64 {
	if v.Limit != nil {
		if n := v.Limit(r); n > 0 {
			return n
		}
	}
	if v.MaxBody > 0 {
		return v.MaxBody
	}
	return DefaultMaxBody
}

// TooLarge is the refusal of a request whose body is over limit bytes.
func TooLarge(limit int64) *AuthError {
	return authErrorf(kindTooLarge, "Request must be smaller than %d bytes for this operation", limit)
}

// slot takes one of the places for reading a large body, waiting for one
// until ctx ends; the returned func gives it back.
func (v *Verifier) slot(ctx context.Context) (func(), *AuthError) {
	v.slotsOnce.Do(func() {
		n := v.MaxSpooling
		if n <= 0 {
			n = DefaultMaxSpooling
		}
		v.slots = make(chan struct{}, n)
	})
	select {
	case v.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, authErrorf(kindIncomplete, "request ended while waiting to read its body: %v", ctx.Err())
	}
	n := v.spooling.Add(1)
	for {
		peak := v.peakSpooling.Load()
		if n <= peak || v.peakSpooling.CompareAndSwap(peak, n) {
			break
		}
	}
	return func() { v.spooling.Add(-1); <-v.slots }, nil
}

// spool reads r's body, at most limit bytes, hashing it as it goes. A body
// over MemoryBody goes to a temporary file in SpoolDir, and at most
// MaxSpooling such bodies are read at once. The caller frees the result.
func (v *Verifier) spool(r *http.Request, limit int64) (*spooled, string, *AuthError) {
	h := sha256.New()
	sp := &spooled{}
	if r.Body == nil || r.Body == http.NoBody {
		return sp, hex.EncodeToString(h.Sum(nil)), nil
	}
	mem := v.MemoryBody
	if mem <= 0 {
		mem = DefaultMemoryBody
	}
	mem = min(mem, limit)
	if r.ContentLength < 0 || r.ContentLength > mem {
		// Read the first part in memory only while waiting would be worse
		// than reading: an unknown length may still be small.
		var aerr *AuthError
		if r.ContentLength < 0 {
			sp.mem, aerr = readSome(r.Body, h, mem+1)
			if aerr != nil {
				return nil, "", aerr
			}
			if int64(len(sp.mem)) <= mem {
				return sp, hex.EncodeToString(h.Sum(nil)), nil
			}
		}
		release, aerr := v.slot(r.Context())
		if aerr != nil {
			return nil, "", aerr
		}
		defer release()
		if aerr := v.spoolFile(r.Body, h, sp, limit); aerr != nil {
			sp.free()
			return nil, "", aerr
		}
		return sp, hex.EncodeToString(h.Sum(nil)), nil
	}
	var aerr *AuthError
	sp.mem, aerr = readSome(r.Body, h, mem+1)
	if aerr != nil {
		return nil, "", aerr
	}
	if int64(len(sp.mem)) > mem {
		// Content-Length understated the body.
		return nil, "", authErrorf(kindIncomplete, "request body is longer than its Content-Length %d", r.ContentLength)
	}
	return sp, hex.EncodeToString(h.Sum(nil)), nil
}

// readSome reads up to n bytes of body into memory, hashing them.
func readSome(body io.Reader, h hash.Hash, n int64) ([]byte, *AuthError) {
	var buf bytes.Buffer
	if _, err := io.Copy(io.MultiWriter(&buf, h), io.LimitReader(body, n)); err != nil {
		return nil, readError(err)
	}
	return buf.Bytes(), nil
}

// spoolFile writes what sp holds in memory and the rest of body, at most
// limit bytes in all, to a temporary file, hashing the rest.
func (v *Verifier) spoolFile(body io.Reader, h hash.Hash, sp *spooled, limit int64) *AuthError {
	f, err := os.CreateTemp(v.SpoolDir, "ferry-body-*")
	if err != nil {
		return authErrorf(kindInternal, "cannot spool the request body: %v", err)
	}
	sp.file = f
	if err := os.Remove(f.Name()); err != nil {
		sp.name = f.Name() // removed on free instead
	}
	if _, err := f.Write(sp.mem); err != nil {
		return authErrorf(kindInternal, "cannot spool the request body: %v", err)
	}
	have := int64(len(sp.mem))
	sp.mem = nil
	n, err := io.Copy(io.MultiWriter(fileWriter{f}, h), io.LimitReader(body, limit+1-have))
	if err != nil {
		var we *writeError
		if errors.As(err, &we) {
			return authErrorf(kindInternal, "cannot spool the request body: %v", err)
		}
		return readError(err)
	}
	if have+n > limit {
		return TooLarge(limit)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return authErrorf(kindInternal, "cannot spool the request body: %v", err)
	}
	return nil
}

// writeError marks a failure to write the spool file (io.Copy does not say
// which side failed).
type writeError struct{ error }

func (e *writeError) Unwrap() error { return e.error }

type fileWriter struct{ f *os.File }

func (w fileWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		return n, &writeError{err}
	}
	return n, nil
}

// readError names a failure to read the body.
func readError(err error) *AuthError {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return TooLarge(tooBig.Limit)
	}
	return authErrorf(kindIncomplete, "read request body: %v", err)
}
