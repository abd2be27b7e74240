package lambdaapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-run/ferry"
)

// eventInvokeConfigInput is the body of Put/UpdateFunctionEventInvokeConfig.
// Pointers tell "absent" from zero, which Update needs to merge.
type eventInvokeConfigInput struct {
	MaximumRetryAttempts     *int               `json:"MaximumRetryAttempts"`
	MaximumEventAgeInSeconds *int               `json:"MaximumEventAgeInSeconds"`
	DestinationConfig        *destinationConfig `json:"DestinationConfig"`
}

type destinationConfig struct {
	OnSuccess *destination `json:"OnSuccess,omitempty"`
	OnFailure *destination `json:"OnFailure,omitempty"`
}

type destination struct {
	Destination *string `json:"Destination,omitempty"`
}

// eventInvokeConfigOutput is a FunctionEventInvokeConfig on the wire.
type eventInvokeConfigOutput struct {
	FunctionArn              string            `json:"FunctionArn"`
	LastModified             float64           `json:"LastModified"` // epoch seconds
	MaximumRetryAttempts     *int              `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int              `json:"MaximumEventAgeInSeconds,omitempty"`
	DestinationConfig        destinationConfig `json:"DestinationConfig"`
}

// decodeEventInvokeConfig parses and range-checks an event invoke config body.
func decodeEventInvokeConfig(b []byte) (eventInvokeConfigInput, error) {
	var in eventInvokeConfigInput
	if err := decodeJSON(b, &in); err != nil {
		return in, err
	}
	if r := in.MaximumRetryAttempts; r != nil && (*r < 0 || *r > 2) {
		return in, ferry.Errorf(ferry.EINVALID,
			"1 validation error detected: Value '%d' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and 2", *r)
	}
	if s := in.MaximumEventAgeInSeconds; s != nil && (*s < 60 || *s > 21600) {
		return in, ferry.Errorf(ferry.EINVALID,
			"1 validation error detected: Value '%d' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 21600", *s)
	}
	if dc := in.DestinationConfig; dc != nil {
		if err := validateDestination("OnSuccess", dc.OnSuccess); err != nil {
			return in, err
		}
		if err := validateDestination("OnFailure", dc.OnFailure); err != nil {
			return in, err
		}
	}
	return in, nil
}

func validateDestination(field string, d *destination) error {
	if d == nil || d.Destination == nil || *d.Destination == "" {
		return nil
	}
	a, err := ferry.ParseARN(*d.Destination)
	if err != nil {
		return ferry.Errorf(ferry.EINVALID, "DestinationConfig.%s.Destination: %s", field, ferry.ErrorMessage(err))
	}
	switch {
	case a.Kind == ferry.KindBucket && field == "OnSuccess":
		return ferry.Errorf(ferry.EINVALID, "DestinationConfig.OnSuccess.Destination: an S3 bucket can only be an OnFailure destination")
	case a.Kind == ferry.KindBucket:
		return ferry.Errorf(ferry.EINVALID, "DestinationConfig.OnFailure.Destination %s: S3 buckets are not supported as destinations by Ferry, which has no S3 service; use a queue, topic, function or event bus", *d.Destination)
	case (a.Kind == ferry.KindQueue || a.Kind == ferry.KindTopic) && strings.HasSuffix(a.Name, ".fifo"):
		return ferry.Errorf(ferry.EINVALID, "DestinationConfig.%s.Destination: FIFO queues and topics are not supported as destinations: %s", field, *d.Destination)
	}
	return nil
}

// applyEventInvokeConfig returns cur changed by in: replace (Put) starts from
// the defaults, otherwise (Update) only the fields present change.
func applyEventInvokeConfig(cur ferry.AsyncConfig, in eventInvokeConfigInput, replace bool) ferry.AsyncConfig {
	c := cur
	if replace {
		c = ferry.AsyncConfig{}
	}
	if r := in.MaximumRetryAttempts; r != nil {
		n := *r
		c.MaximumRetryAttempts = &n
	}
	if s := in.MaximumEventAgeInSeconds; s != nil {
		c.MaximumEventAge = time.Duration(*s) * time.Second
	}
	if dc := in.DestinationConfig; dc != nil {
		if dc.OnSuccess != nil {
			c.OnSuccess = deref(dc.OnSuccess.Destination)
		}
		if dc.OnFailure != nil {
			c.OnFailure = deref(dc.OnFailure.Destination)
		}
	}
	if !hasEventInvokeConfig(c) {
		// An explicit default marks the config as present (Get finds it).
		n := ferry.DefaultRetryAttempts
		c.MaximumRetryAttempts = &n
	}
	return c
}

// hasEventInvokeConfig reports whether c holds any setting. A function whose
// async config is all defaults has no EventInvokeConfig.
func hasEventInvokeConfig(c ferry.AsyncConfig) bool {
	return c.MaximumRetryAttempts != nil || c.MaximumEventAge != 0 || c.OnSuccess != "" || c.OnFailure != ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// eventInvokeConfigOf renders fn's async config.
func (a *API) eventInvokeConfigOf(fn *ferry.Function) eventInvokeConfigOutput {
	c := fn.Async
	out := eventInvokeConfigOutput{
		FunctionArn:          a.realm.FunctionARN(fn.Name) + ":" + ferry.LatestVersion,
		LastModified:         float64(fn.Modified.UnixMilli()) / 1000,
		MaximumRetryAttempts: c.MaximumRetryAttempts,
		DestinationConfig:    destinationConfig{OnSuccess: &destination{}, OnFailure: &destination{}},
	}
	if c.MaximumEventAge != 0 {
		s := int(c.MaximumEventAge / time.Second)
		out.MaximumEventAgeInSeconds = &s
	}
	if c.OnSuccess != "" {
		out.DestinationConfig.OnSuccess.Destination = &c.OnSuccess
	}
	if c.OnFailure != "" {
		out.DestinationConfig.OnFailure.Destination = &c.OnFailure
	}
	return out
}

func (a *API) noEventInvokeConfig(name string) error {
	return ferry.Errorf(ferry.ENOTFOUND, "The function %s doesn't have an EventInvokeConfig", a.realm.FunctionARN(name)+":"+ferry.LatestVersion)
}

// putEventInvokeConfig serves PutFunctionEventInvokeConfig (replace).
func (a *API) putEventInvokeConfig(w http.ResponseWriter, r *http.Request) {
	a.writeEventInvokeConfig(w, r, true)
}

// updateEventInvokeConfig serves UpdateFunctionEventInvokeConfig (merge).
func (a *API) updateEventInvokeConfig(w http.ResponseWriter, r *http.Request) {
	a.writeEventInvokeConfig(w, r, false)
}

func (a *API) writeEventInvokeConfig(w http.ResponseWriter, r *http.Request, replace bool) {
	ref, err := parseFunctionName(a.realm, r.PathValue("name"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	b, err := readBody(r.Body, maxBodyBytes, "PutFunctionEventInvokeConfig")
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	in, err := decodeEventInvokeConfig(b)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	fn, err := a.update(r.Context(), ref.Name, func(fn *ferry.Function) error {
		fn.Async = applyEventInvokeConfig(fn.Async, in, replace)
		return nil
	})
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.eventInvokeConfigOf(fn))
}

// getEventInvokeConfig serves GetFunctionEventInvokeConfig.
func (a *API) getEventInvokeConfig(w http.ResponseWriter, r *http.Request) {
	fn, err := a.lookup(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if !hasEventInvokeConfig(fn.Async) {
		a.writeError(w, r, a.noEventInvokeConfig(fn.Name))
		return
	}
	writeJSON(w, http.StatusOK, a.eventInvokeConfigOf(fn))
}

// deleteEventInvokeConfig serves DeleteFunctionEventInvokeConfig.
func (a *API) deleteEventInvokeConfig(w http.ResponseWriter, r *http.Request) {
	ref, err := parseFunctionName(a.realm, r.PathValue("name"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	_, err = a.update(r.Context(), ref.Name, func(fn *ferry.Function) error {
		if !hasEventInvokeConfig(fn.Async) {
			return a.noEventInvokeConfig(fn.Name)
		}
		fn.Async = ferry.AsyncConfig{}
		return nil
	})
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listEventInvokeConfigs serves ListFunctionEventInvokeConfigs. Ferry has
// one version per function, so the list holds at most one config.
func (a *API) listEventInvokeConfigs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	max, err := parseMaxItems(q.Get("MaxItems"), 50)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	fn, err := a.lookup(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	var all []eventInvokeConfigOutput
	if hasEventInvokeConfig(fn.Async) {
		all = append(all, a.eventInvokeConfigOf(fn))
	}
	page, next := paginate(all, func(c eventInvokeConfigOutput) string { return c.FunctionArn }, q.Get("Marker"), max)
	writeJSON(w, http.StatusOK, struct {
		FunctionEventInvokeConfigs []eventInvokeConfigOutput `json:"FunctionEventInvokeConfigs"`
		NextMarker                 string                    `json:"NextMarker,omitempty"`
	}{FunctionEventInvokeConfigs: nonNil(page), NextMarker: next})
}

// parseMaxItems parses a MaxItems query value in 1..hi; empty means hi.
func parseMaxItems(s string, hi int) (int, error) {
	if s == "" {
		return hi, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > hi {
		return 0, ferry.Errorf(ferry.EINVALID, "MaxItems must be an integer between 1 and %d, got %q", hi, s)
	}
	return n, nil
}

// paginate returns up to max items starting at the one whose key is marker
// (or the first key after it), and the marker of the next page. items must be
// sorted by key.
func paginate[T any](items []T, key func(T) string, marker string, max int) ([]T, string) {
	start := 0
	if marker != "" {
		start = len(items)
		for i, it := range items {
			if key(it) >= marker {
				start = i
				break
			}
		}
	}
	end := min(start+max, len(items))
	next := ""
	if end < len(items) {
		next = key(items[end])
	}
	return items[start:end], next
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
