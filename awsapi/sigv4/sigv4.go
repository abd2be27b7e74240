// Package sigv4 verifies AWS Signature Version 4 on requests to Ferry's AWS
// APIs: the Authorization header form and the presigned query-string form,
// checked against a fixed set of access keys. It owns nothing but the
// verification; whether auth is on is the wiring's choice (see IsLoopback).
package sigv4

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferry-run/ferry"
)

// Credentials maps access key ids to their secret keys.
type Credentials map[string]string

// Defaults of Verifier.
const (
	DefaultMaxSkew  = 15 * time.Minute
	DefaultMaxBody  = 80 << 20 // a 50 MB function zip, base64 in JSON
	maxPresignedAge = 7 * 24 * time.Hour
	amzDateLayout   = "20060102T150405Z"
)

// Verifier checks SigV4 signatures made with Keys. Its fields are read,
// never written, by Verify: set them before serving.
type Verifier struct {
	Keys Credentials
	// Lookup, when set, is asked for the secret of an access key that is
	// not in Keys (keys derived on demand, such as a function's own).
	Lookup func(accessKey string) (secret string, ok bool)
	// MaxSkew is how far the request date may be from Now; 0 means
	// DefaultMaxSkew.
	MaxSkew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxBody is the largest body read to hash; 0 means DefaultMaxBody.
	MaxBody int64
	// Limit, when set, gives the largest body of each request (its
	// operation's limit), in place of MaxBody.
	Limit func(*http.Request) int64
	// MemoryBody is the largest body held in memory while it is hashed;
	// a larger one is spooled to a file in SpoolDir (os.TempDir when "")
	// that is unlinked at once and closed when the request is done.
	// 0 means DefaultMemoryBody.
	MemoryBody int64
	SpoolDir   string
	// MaxSpooling bounds how many bodies larger than MemoryBody are read at
	// once before their signature is checked; further ones wait. 0 means
	// DefaultMaxSpooling.
	MaxSpooling int

	slotsOnce    sync.Once
	slots        chan struct{}
	spooling     atomic.Int64
	peakSpooling atomic.Int64 // most bodies spooling at once, for tests
}

// request is what Verify extracts from either form of signature.
type request struct {
	cred      scope
	signed    []string
	signature string
	amzDate   string
	date      time.Time
	expires   time.Duration // presigned only
	presigned bool
}

// Verify checks r's signature. Everything but the body is checked before
// the body is read: the signature's shape, the access key, the date, the
// body's declared length and, when X-Amz-Content-Sha256 is sent, the
// signature over it. Then the body is read once, hashed as it streams
// (large bodies to a spool file), and r.Body is replaced by an unread copy
// freed when the request's context ends or the copy is closed. Errors are
// *AuthError.
func (v *Verifier) Verify(r *http.Request) error {
	sp, err := v.verify(r)
	if err != nil {
		return err
	}
	if sp != nil {
		context.AfterFunc(r.Context(), sp.free)
	}
	return nil
}

// verify checks r; the spooled body it returns, if any, is the caller's to
// free once the request is done.
func (v *Verifier) verify(r *http.Request) (*spooled, *AuthError) {
	req, aerr := parseRequest(r)
	if aerr != nil {
		return nil, aerr
	}
	secret, ok := v.Keys[req.cred.accessKey]
	if !ok && v.Lookup != nil {
		secret, ok = v.Lookup(req.cred.accessKey)
	}
	if !ok {
		return nil, authErrorf(kindUnknownKey, "The security token included in the request is invalid.")
	}
	if aerr := v.checkDate(req); aerr != nil {
		return nil, aerr
	}
	limit := v.limitFor(r)
	if r.ContentLength > limit {
		return nil, TooLarge(limit)
	}

	query := ""
	if r.URL != nil {
		skip := ""
		if req.presigned {
			skip = qSignature
		}
		query = canonicalQuery(r.URL.Query(), skip)
	}
	uri := canonicalURI(r, req.cred.service)
	headers := canonicalHeaders(r, req.signed)
	matches := func(payload string) bool {
		cr := canonicalRequest(r.Method, uri, query, headers, req.signed, payload)
		want := signature(secret, req.cred, stringToSign(req.amzDate, req.cred, cr))
		return subtle.ConstantTimeCompare([]byte(want), []byte(req.signature)) == 1
	}

	declared := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case declared == UnsignedPayload:
		if !matches(UnsignedPayload) {
			return nil, authErrorf(kindSignature, errMismatch)
		}
		return nil, nil
	case declared != "":
		// The signature covers the declared hash: check it before reading
		// a byte of the body, then the body against the hash.
		if !isHex(declared) {
			return nil, authErrorf(kindSignature, errDeclaredHash)
		}
		if !matches(declared) {
			return nil, authErrorf(kindSignature, errMismatch)
		}
	}
	sp, bodyHash, aerr := v.spool(r, limit)
	if aerr != nil {
		return nil, aerr
	}
	ok = false
	switch {
	case declared != "":
		ok = subtle.ConstantTimeCompare([]byte(declared), []byte(bodyHash)) == 1
		if !ok {
			sp.free()
			return nil, authErrorf(kindSignature, errDeclaredHash)
		}
	case req.presigned:
		// S3-style presigned URLs leave the payload unsigned; others sign it.
		ok = matches(bodyHash) || matches(UnsignedPayload)
	default:
		ok = matches(bodyHash)
	}
	if !ok {
		sp.free()
		return nil, authErrorf(kindSignature, errMismatch)
	}
	if r.Body != nil && r.Body != http.NoBody {
		_ = r.Body.Close()
		r.Body = sp.reader()
	}
	return sp, nil
}

// parseRequest finds the signature in the Authorization header or, failing
// that, in the query string.
func parseRequest(r *http.Request) (request, *AuthError) {
	if h := r.Header.Get("Authorization"); h != "" {
		a, aerr := parseAuthorization(h)
		if aerr != nil {
			return request{}, aerr
		}
		req := request{cred: a.cred, signed: a.signedHeaders, signature: a.signature}
		dateHeader := "x-amz-date"
		req.amzDate = r.Header.Get("X-Amz-Date")
		if req.amzDate == "" {
			dateHeader = "date"
			d, err := http.ParseTime(r.Header.Get("Date"))
			if err != nil {
				return request{}, authErrorf(kindIncomplete,
					"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
			}
			req.amzDate = d.UTC().Format(amzDateLayout)
		}
		if !contains(req.signed, dateHeader) {
			return request{}, authErrorf(kindIncomplete, "The '%s' header must be a 'SignedHeader' in the AWS Authorization.", dateHeader)
		}
		return req, finishDate(&req)
	}
	if r.URL == nil {
		return request{}, missing()
	}
	q := r.URL.Query()
	if q.Get(qAlgorithm) == "" && q.Get(qSignature) == "" && q.Get(qCredential) == "" {
		return request{}, missing()
	}
	if alg := q.Get(qAlgorithm); alg != Algorithm {
		return request{}, authErrorf(kindIncomplete, "Unsupported AWS 'algorithm': %q", alg)
	}
	for _, k := range []string{qCredential, qDate, qExpires, qSignedHeaders, qSignature} {
		if len(q[k]) != 1 || q.Get(k) == "" {
			return request{}, authErrorf(kindIncomplete, "AWS query-string parameters must include exactly one '%s'.", k)
		}
	}
	cred, aerr := parseCredential(q.Get(qCredential))
	if aerr != nil {
		return request{}, aerr
	}
	signed, aerr := parseSignedHeaders(q.Get(qSignedHeaders))
	if aerr != nil {
		return request{}, aerr
	}
	sig := q.Get(qSignature)
	if !isHex(sig) {
		return request{}, authErrorf(kindIncomplete, "Signature %q is not 64 hex digits", sig)
	}
	secs, err := strconv.ParseInt(q.Get(qExpires), 10, 64)
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxPresignedAge {
		return request{}, authErrorf(kindIncomplete,
			"X-Amz-Expires must be a whole number of seconds from 1 to 604800, got %q", q.Get(qExpires))
	}
	req := request{cred: cred, signed: signed, signature: sig, amzDate: q.Get(qDate),
		expires: time.Duration(secs) * time.Second, presigned: true}
	return req, finishDate(&req)
}

// finishDate parses req.amzDate and requires the credential scope to be the
// same day.
func finishDate(req *request) *AuthError {
	d, err := time.Parse(amzDateLayout, req.amzDate)
	if err != nil {
		return authErrorf(kindIncomplete, "X-Amz-Date %q is not in the form yyyyMMddTHHmmssZ", req.amzDate)
	}
	req.date = d
	if day := req.amzDate[:8]; req.cred.date != day {
		return authErrorf(kindSignature,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			req.cred.date, day, req.amzDate)
	}
	return nil
}

// checkDate refuses a request dated more than MaxSkew from now, or a
// presigned one past its expiry.
func (v *Verifier) checkDate(req request) *AuthError {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	t := now().UTC()
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	mins := strconv.FormatFloat(skew.Minutes(), 'f', -1, 64)
	if req.presigned {
		if end := req.date.Add(req.expires); t.After(end) {
			return authErrorf(kindExpired, "Signature expired: a request presigned at %s for %d seconds expired at %s; it is now %s",
				req.amzDate, int64(req.expires/time.Second), end.Format(amzDateLayout), t.Format(amzDateLayout))
		}
	} else if earliest := t.Add(-skew); req.date.Before(earliest) {
		return authErrorf(kindExpired, "Signature expired: %s is now earlier than %s (%s - %s min.)",
			req.amzDate, earliest.Format(amzDateLayout), t.Format(amzDateLayout), mins)
	}
	if latest := t.Add(skew); req.date.After(latest) {
		return authErrorf(kindExpired, "Signature not yet current: %s is still later than %s (%s + %s min.)",
			req.amzDate, latest.Format(amzDateLayout), t.Format(amzDateLayout), mins)
	}
	return nil
}

func missing() *AuthError {
	return authErrorf(kindMissing, "Missing Authentication Token")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Middleware verifies each request before next sees it. A refused request
// goes to reject, which writes it in its protocol's error shape; a nil
// reject writes a JSON-protocol error.
func (v *Verifier) Middleware(next http.Handler, reject func(w http.ResponseWriter, r *http.Request, err *AuthError)) http.Handler {
	if reject == nil {
		reject = WriteJSONError
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sp, err := v.verify(r)
		if err != nil {
			reject(w, r, err)
			return
		}
		if sp != nil {
			defer sp.free()
		}
		next.ServeHTTP(w, r)
	})
}

// WriteJSONError writes err as an AWS JSON-protocol error:
// {"__type": name, "message": ...} with X-Amzn-ErrorType.
func WriteJSONError(w http.ResponseWriter, _ *http.Request, err *AuthError) {
	name := err.CodeFor(ProtocolJSON)
	w.Header().Set("X-Amzn-Errortype", name)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(err.StatusFor(ProtocolJSON))
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": name, "message": err.Message})
}

// Validate reports a Verifier that can accept no request: one without
// keys, or with an empty access key id or secret.
func (v *Verifier) Validate() error {
	if len(v.Keys) == 0 {
		return ferry.Errorf(ferry.EINVALID, "auth: no access keys configured")
	}
	for id, secret := range v.Keys {
		if id == "" || secret == "" {
			return ferry.Errorf(ferry.EINVALID, "auth: access key %q has an empty id or secret", id)
		}
	}
	if v.MaxSkew < 0 || v.MaxBody < 0 || v.MemoryBody < 0 || v.MaxSpooling < 0 {
		return ferry.Errorf(ferry.EINVALID, "auth: negative MaxSkew %s, MaxBody %d, MemoryBody %d or MaxSpooling %d",
			v.MaxSkew, v.MaxBody, v.MemoryBody, v.MaxSpooling)
	}
	return nil
}

// AsAuthError returns err as an *AuthError, if it is one.
func AsAuthError(err error) (*AuthError, bool) {
	var ae *AuthError
	ok := errors.As(err, &ae)
	return ae, ok
}
