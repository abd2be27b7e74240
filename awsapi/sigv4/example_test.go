package sigv4_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ferry-run/ferry/awsapi/sigv4"
)

// Auth is required when Ferry listens beyond loopback; unsigned requests
// are then refused in the protocol's error shape.
func ExampleVerifier_Middleware() {
	listen, authFlag := "0.0.0.0:4566", false
	v := &sigv4.Verifier{Keys: sigv4.Credentials{"AKIDEXAMPLE": "secret"}}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "served "+sigv4.ServiceOf(r))
	})
	if authFlag || !sigv4.IsLoopback(listen) {
		h = v.Middleware(h, func(w http.ResponseWriter, r *http.Request, err *sigv4.AuthError) {
			protocol := sigv4.ProtocolJSON
			if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
				protocol = sigv4.ProtocolQuery
			}
			http.Error(w, err.CodeFor(protocol), err.StatusFor(protocol))
		})
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := srv.Client().Post(srv.URL, "application/x-www-form-urlencoded", strings.NewReader("Action=ListTopics"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(resp.StatusCode, " ", string(body))
	// Output: 403 MissingAuthenticationToken
}
