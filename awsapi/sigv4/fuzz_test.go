package sigv4

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func FuzzParseAuthorization(f *testing.F) {
	sig := strings.Repeat("0", 64)
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKID/20260314/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AKID/20260314/us-east-1/sqs/aws4_request,SignedHeaders=host,Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;;, Signature==",
		"AWS4-HMAC-SHA256 ,,,,=,=",
		"AWS4-HMAC-SHA256",
		"",
		"Basic abc",
	} {
		f.Add(s, "20260314T150926Z")
	}
	v := &Verifier{Keys: Credentials{"AKID": "secret"}, Now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, h, date string) {
		a, err := parseAuthorization(h)
		if err == nil {
			if a.cred.accessKey == "" || a.cred.service == "" || len(a.signature) != 64 || len(a.signedHeaders) == 0 {
				t.Fatalf("accepted %q as %+v", h, a)
			}
		} else if err.Code == "" || err.Status == 0 {
			t.Fatalf("error without code or status: %+v", err)
		}
		r, rerr := http.NewRequest("POST", "http://ferry.test/", strings.NewReader("body"))
		if rerr != nil {
			t.Fatal(rerr)
		}
		r.Header.Set("Authorization", h)
		r.Header.Set("X-Amz-Date", date)
		_ = ServiceOf(r)
		if verr := v.Verify(r); verr == nil {
			t.Fatalf("a made-up signature verified: %q", h)
		}
	})
}
