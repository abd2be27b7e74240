package lambdaapi

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
)

const (
	// maxClientContext is the largest X-Amz-Client-Context Lambda accepts,
	// in base64-encoded bytes.
	maxClientContext = 3583
	// maxLogTail is how much of the log X-Amz-Log-Result carries.
	maxLogTail = 4096
)

// invokeInput is a decoded and validated Invoke request.
type invokeInput struct {
	Ref           functionRef
	Type          string // ferry.InvokeRequestResponse, InvokeEvent or InvokeDryRun
	Tail          bool   // X-Amz-Log-Type: Tail
	ClientContext string // base64, as received
	Payload       []byte // valid JSON; "{}" for an empty body
}

// decodeInvoke validates everything about an Invoke request that does not
// need the function: name, headers, payload size and JSON.
func decodeInvoke(realm ferry.Realm, name, qualifier string, h http.Header, body io.Reader) (invokeInput, error) {
	ref, err := parseQualified(name, qualifier)
	if err != nil {
		return invokeInput{}, err
	}
	in := invokeInput{Ref: ref, Type: h.Get(hdrInvocationType)}
	switch in.Type {
	case "":
		in.Type = ferry.InvokeRequestResponse
	case ferry.InvokeRequestResponse, ferry.InvokeEvent, ferry.InvokeDryRun:
	default:
		return invokeInput{}, ferry.Errorf(ferry.EINVALID,
			"InvocationType %q must be one of RequestResponse, Event, DryRun", in.Type)
	}
	switch lt := h.Get(hdrLogType); lt {
	case "", "None":
	case "Tail":
		in.Tail = in.Type == ferry.InvokeRequestResponse
	default:
		return invokeInput{}, ferry.Errorf(ferry.EINVALID, "LogType %q must be one of None, Tail", lt)
	}
	if cc := h.Get(hdrClientContext); cc != "" {
		if len(cc) > maxClientContext {
			return invokeInput{}, ferry.Errorf(ferry.EINVALID,
				"ClientContext must be at most %d bytes of base64-encoded data, got %d", maxClientContext, len(cc))
		}
		raw, err := base64.StdEncoding.DecodeString(cc)
		if err != nil || !json.Valid(raw) {
			return invokeInput{}, ferry.Errorf(ferry.EINVALIDJSON, "Client context must be a valid Base64-encoded JSON object.")
		}
		in.ClientContext = cc
	}
	limit, op := int64(ferry.MaxSyncPayload), "Invoke"
	if in.Type == ferry.InvokeEvent {
		limit, op = ferry.MaxAsyncPayload, "InvokeAsync"
	}
	in.Payload, err = readBody(body, limit, op)
	if err != nil {
		return invokeInput{}, err
	}
	if len(in.Payload) == 0 {
		in.Payload = []byte("{}")
	} else if !json.Valid(in.Payload) {
		// Decoding again only to name where the JSON breaks.
		var v json.RawMessage
		err := json.Unmarshal(in.Payload, &v)
		return invokeInput{}, ferry.Wrap(ferry.EINVALIDJSON, err, "Could not parse request body into json")
	}
	return in, nil
}

// invoke serves POST /2015-03-31/functions/{name}/invocations.
func (a *API) invoke(w http.ResponseWriter, r *http.Request) {
	in, err := decodeInvoke(a.realm, r.PathValue("name"), r.URL.Query().Get("Qualifier"), r.Header, r.Body)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	fn, err := a.get(r.Context(), in.Ref.Name)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	ver, _, err := a.resolveVersion(r, fn.Name, in.Ref.Qualifier)
	if err == nil {
		err = a.runnable(fn, ver)
	}
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if ver != nil {
		w.Header().Set(hdrExecVersion, ver.Version)
	}
	req := &ferry.InvokeRequest{
		RequestID:     uuid.NewString(),
		Function:      fn.Name,
		Qualifier:     in.Ref.Qualifier,
		Payload:       in.Payload,
		ClientContext: in.ClientContext,
		TraceID:       r.Header.Get("X-Amzn-Trace-Id"),
	}
	if !ferry.ValidTraceID(req.TraceID) {
		req.TraceID = "" // as in AWS, a malformed trace header starts a new trace
	}
	w.Header().Set(hdrRequestID, req.RequestID)
	switch in.Type {
	case ferry.InvokeDryRun:
		if err := fn.Runnable(); err != nil {
			a.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case ferry.InvokeEvent:
		if err := a.async.InvokeAsync(r.Context(), req); err != nil {
			a.writeErrorReason(w, r, err, throttleReason(fn))
			return
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		a.invokeSync(w, r, fn, req, in.Tail)
	}
}

func (a *API) invokeSync(w http.ResponseWriter, r *http.Request, fn *ferry.Function, req *ferry.InvokeRequest, tail bool) {
	res, err := a.invoker.Invoke(r.Context(), req)
	if err != nil {
		a.writeErrorReason(w, r, err, throttleReason(fn))
		return
	}
	h := w.Header()
	if res.RequestID != "" {
		h.Set(hdrRequestID, res.RequestID)
	}
	version := res.ExecutedVersion
	if version == "" {
		version = ferry.LatestVersion
	}
	if h.Get(hdrExecVersion) == "" {
		h.Set(hdrExecVersion, version) // a published version was set by invoke
	}
	if res.FunctionError != "" {
		h.Set(hdrFunctionError, res.FunctionError)
	}
	if tail {
		logs := res.Logs
		if len(logs) > maxLogTail {
			logs = logs[len(logs)-maxLogTail:]
		}
		h.Set(hdrLogResult, base64.StdEncoding.EncodeToString(logs))
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Payload)
}

// throttleReason names why an invocation of fn was throttled.
func throttleReason(fn *ferry.Function) string {
	if fn.ReservedConcurrency != nil {
		return "ReservedFunctionConcurrentInvocationLimitExceeded"
	}
	return "ConcurrentInvocationLimitExceeded"
}
