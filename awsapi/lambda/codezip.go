package lambdaapi

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"

	"github.com/ferry-run/ferry"
)

// codeZipPath is where Ferry serves a function's current code zip: the
// Code.Location of GetFunction (on AWS a presigned S3 URL). It answers on
// the API port, under the port's own guard and authentication.
func codeZipPath(name string) string {
	return "/2015-03-31/functions/" + url.PathEscape(name) + "/code.zip"
}

// codeLocation is the URL of a function's code zip as the caller sees the API.
func codeLocation(r *http.Request, name string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + codeZipPath(name)
}

// serveCodeZip serves the zip of a function's current code revision from
// the CodeStore.
func (a *API) serveCodeZip(w http.ResponseWriter, r *http.Request) {
	fn, err := a.lookup(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if a.code == nil || filepath.Dir(fn.CodeDir) != a.functionCodeRoot(fn.Name) {
		a.writeError(w, r, ferry.Errorf(ferry.ENOTFOUND, "the code of function %s was not uploaded through the Lambda API, so Ferry keeps no zip of it", fn.Name))
		return
	}
	zip, err := a.code.Get(r.Context(), codeKey(fn.Name, filepath.Base(fn.CodeDir)))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", strconv.Itoa(len(zip)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(zip)
}
