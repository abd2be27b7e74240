// Package sigv4 verifies AWS Signature Version 4 on requests to Ferry's AWS
// APIs: the Authorization header form and the presigned query-string form,
// checked against a fixed set of access keys. It owns nothing but the
// verification; whether auth is on is the wiring's choice (see IsLoopback).
package sigv4

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
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
	// MaxSkew is how far the request date may be from Now; 0 means
	// DefaultMaxSkew.
	MaxSkew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxBody is the largest body read to hash; 0 means DefaultMaxBody.
	MaxBody int64
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

// Verify checks r's signature. It reads r.Body and replaces it with an
// unread copy, so the next handler sees the same bytes. Errors are
// *AuthError.
func (v *Verifier) Verify(r *http.Request) error {
	if err := v.verify(r); err != nil {
		return err
	}
	return nil
}

func (v *Verifier) verify(r *http.Request) *AuthError {
	req, aerr := parseRequest(r)
	if aerr != nil {
		return aerr
	}
	secret, ok := v.Keys[req.cred.accessKey]
	if !ok {
		return authErrorf(kindUnknownKey, "The security token included in the request is invalid.")
	}
	if aerr := v.checkDate(req); aerr != nil {
		return aerr
	}
	body, aerr := v.readBody(r)
	if aerr != nil {
		return aerr
	}
	bodySum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(bodySum[:])

	var candidates []string
	declared := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case declared == UnsignedPayload:
		candidates = []string{UnsignedPayload}
	case declared != "":
		if declared != bodyHash {
			return authErrorf(kindSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
		candidates = []string{bodyHash}
	case req.presigned:
		// S3-style presigned URLs leave the payload unsigned; others sign it.
		candidates = []string{bodyHash, UnsignedPayload}
	default:
		candidates = []string{bodyHash}
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
	for _, payload := range candidates {
		cr := canonicalRequest(r.Method, uri, query, headers, req.signed, payload)
		want := signature(secret, req.cred, stringToSign(req.amzDate, req.cred, cr))
		if subtle.ConstantTimeCompare([]byte(want), []byte(req.signature)) == 1 {
			return nil
		}
	}
	return authErrorf(kindSignature, errMismatch)
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

// readBody reads r.Body whole and puts back an unread copy.
func (v *Verifier) readBody(r *http.Request) ([]byte, *AuthError) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	limit := v.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil, authErrorf(kindIncomplete, "read request body: %v", err)
	}
	if int64(len(body)) > limit {
		return nil, authErrorf(kindTooLarge, "Request body is larger than %d bytes", limit)
	}
	return body, nil
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
		if err := v.verify(r); err != nil {
			reject(w, r, err)
			return
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
	if v.MaxSkew < 0 || v.MaxBody < 0 {
		return ferry.Errorf(ferry.EINVALID, "auth: negative MaxSkew %s or MaxBody %d", v.MaxSkew, v.MaxBody)
	}
	return nil
}

// AsAuthError returns err as an *AuthError, if it is one.
func AsAuthError(err error) (*AuthError, bool) {
	var ae *AuthError
	ok := errors.As(err, &ae)
	return ae, ok
}
