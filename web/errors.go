package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ferry-run/ferry"
)

// statusTable maps ferry error codes to HTTP statuses. It is the only place
// that does so; any other code is 500.
var statusTable = map[string]int{
	ferry.ENOTFOUND:     http.StatusNotFound,
	ferry.EINVALID:      http.StatusBadRequest,
	ferry.EINVALIDJSON:  http.StatusBadRequest,
	ferry.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	ferry.ECONFLICT:     http.StatusConflict,
	ferry.ETHROTTLED:    http.StatusTooManyRequests,
	ferry.EUNAVAILABLE:  http.StatusServiceUnavailable,
	ferry.EUNAUTHORIZED: http.StatusForbidden,
}

// errorBody is the JSON body of every API error.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// writeError answers err as {"error": ..., "code": ...} with its status. An
// error without a ferry code is logged and answered without its details.
func (d *Dashboard) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := ferry.ErrorCode(err)
	status, ok := statusTable[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	msg := ferry.ErrorMessage(err)
	var fe *ferry.Error
	if !errors.As(err, &fe) {
		d.log.Error("dashboard api", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error; see the server log"
	}
	writeJSON(w, status, errorBody{Error: ferry.CapMessage(msg), Code: code})
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
