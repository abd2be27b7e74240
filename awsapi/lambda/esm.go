package lambdaapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/trigger"
)

// EventSourceMappings stores queue event source mappings and runs them.
// *trigger.Service implements it; its errors carry ferry codes (ENOTFOUND
// for an unknown mapping, queue or function, EINVALID for settings out of
// range, ECONFLICT for a duplicate or a concurrent change).
type EventSourceMappings interface {
	// Create stores m (Queue or QueueARN, Function name) and answers it in
	// state Creating.
	Create(ctx context.Context, m trigger.Mapping) (trigger.Mapping, error)
	// Get returns the mapping with that UUID.
	Get(ctx context.Context, uuid string) (trigger.Mapping, error)
	// List returns the mappings, filtered by function and/or queue when
	// they are not empty.
	List(ctx context.Context, function, queue string) ([]trigger.Mapping, error)
	// Update replaces the settings of mapping m.UUID with m's.
	Update(ctx context.Context, m trigger.Mapping) (trigger.Mapping, error)
	// Delete removes a mapping and answers it in state Deleting.
	Delete(ctx context.Context, uuid string) (trigger.Mapping, error)
}

const (
	// reportBatchItemFailures is the one FunctionResponseTypes value.
	reportBatchItemFailures = "ReportBatchItemFailures"
	// esmPageMax is the most mappings one ListEventSourceMappings page holds.
	esmPageMax = 100
)

// esmInput is the body of CreateEventSourceMapping and
// UpdateEventSourceMapping: the fields a queue mapping has. Absent fields
// are nil.
type esmInput struct {
	EventSourceArn                 *string        `json:"EventSourceArn"`
	FunctionName                   *string        `json:"FunctionName"`
	Enabled                        *bool          `json:"Enabled"`
	BatchSize                      *int           `json:"BatchSize"`
	MaximumBatchingWindowInSeconds *int           `json:"MaximumBatchingWindowInSeconds"`
	FunctionResponseTypes          *[]string      `json:"FunctionResponseTypes"`
	ScalingConfig                  *scalingConfig `json:"ScalingConfig"`
}

type scalingConfig struct {
	MaximumConcurrency *int `json:"MaximumConcurrency,omitempty"`
}

// esmFields are the body members Ferry honours; updatable says which
// UpdateEventSourceMapping accepts.
var esmFields = map[string]bool{
	"EventSourceArn": false, "FunctionName": true, "Enabled": true, "BatchSize": true,
	"MaximumBatchingWindowInSeconds": true, "FunctionResponseTypes": true, "ScalingConfig": true,
}

// esmOutput is an EventSourceMappingConfiguration on the wire.
type esmOutput struct {
	UUID                           string         `json:"UUID"`
	EventSourceArn                 string         `json:"EventSourceArn"`
	EventSourceMappingArn          string         `json:"EventSourceMappingArn"`
	FunctionArn                    string         `json:"FunctionArn"`
	BatchSize                      int            `json:"BatchSize"`
	MaximumBatchingWindowInSeconds int            `json:"MaximumBatchingWindowInSeconds"`
	FunctionResponseTypes          []string       `json:"FunctionResponseTypes"`
	ScalingConfig                  *scalingConfig `json:"ScalingConfig,omitempty"`
	State                          string         `json:"State"`
	StateTransitionReason          string         `json:"StateTransitionReason,omitempty"`
	LastModified                   float64        `json:"LastModified"` // epoch seconds
}

// decodeESM parses a mapping body. Members Ferry does not honour
// (FilterCriteria, StartingPosition, DestinationConfig, Kafka and stream
// settings, ...) are refused by name; so is EventSourceArn on update.
func decodeESM(b []byte, update bool) (esmInput, error) {
	var in esmInput
	var raw map[string]json.RawMessage
	if err := decodeJSON(b, &raw); err != nil {
		return in, err
	}
	names := make([]string, 0, len(raw))
	for k, v := range raw {
		if string(v) != "null" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		updatable, ok := esmFields[k]
		switch {
		case !ok:
			return in, ferry.Errorf(ferry.EINVALID, "%s is not supported by Ferry's queue event source mappings", k)
		case update && !updatable:
			return in, ferry.Errorf(ferry.EINVALID, "%s cannot be changed by UpdateEventSourceMapping", k)
		}
	}
	if err := decodeJSON(b, &in); err != nil {
		return in, err
	}
	if n := in.BatchSize; n != nil && *n < 1 {
		return in, ferry.Errorf(ferry.EINVALID, "BatchSize must be between 1 and %d for a queue, got %d", trigger.MaxBatchSize, *n)
	}
	if s := in.ScalingConfig; s != nil && s.MaximumConcurrency != nil && *s.MaximumConcurrency < trigger.MinConcurrency {
		return in, ferry.Errorf(ferry.EINVALID, "ScalingConfig.MaximumConcurrency must be between %d and %d, got %d",
			trigger.MinConcurrency, trigger.MaxConcurrency, *s.MaximumConcurrency)
	}
	if t := in.FunctionResponseTypes; t != nil {
		for _, v := range *t {
			if v != reportBatchItemFailures {
				return in, ferry.Errorf(ferry.EINVALID, "FunctionResponseTypes value %q is not supported (only %s)", v, reportBatchItemFailures)
			}
		}
	}
	return in, nil
}

// apply sets the present fields of in on m.
func (in *esmInput) apply(realm ferry.Realm, m *trigger.Mapping) error {
	if in.FunctionName != nil {
		ref, err := parseFunctionName(realm, *in.FunctionName, "")
		if err != nil {
			return err
		}
		m.Function = ref.Name
	}
	if in.Enabled != nil {
		m.Enabled = *in.Enabled
	}
	if in.BatchSize != nil {
		m.BatchSize = *in.BatchSize
	}
	if in.MaximumBatchingWindowInSeconds != nil {
		m.MaximumBatchingWindow = time.Duration(*in.MaximumBatchingWindowInSeconds) * time.Second
	}
	if in.FunctionResponseTypes != nil {
		m.ReportBatchItemFailures = slices.Contains(*in.FunctionResponseTypes, reportBatchItemFailures)
	}
	if in.ScalingConfig != nil {
		// An empty ScalingConfig removes the cap.
		m.MaximumConcurrency = 0
		if c := in.ScalingConfig.MaximumConcurrency; c != nil {
			m.MaximumConcurrency = *c
		}
	}
	return nil
}

// queueSource checks that an EventSourceArn names a queue.
func queueSource(arn string) error {
	a, err := ferry.ParseARN(arn)
	if err != nil || a.Kind != ferry.KindQueue {
		return ferry.Errorf(ferry.EINVALID, "EventSourceArn %q is not a queue ARN: Ferry supports queue (SQS) event sources only", arn)
	}
	return nil
}

// mappings returns the configured service, or the error every mapping
// operation answers without one.
func (a *API) mappings() (EventSourceMappings, error) {
	if a.esm == nil {
		return nil, ferry.Errorf(ferry.EUNAVAILABLE, "event source mappings are not configured")
	}
	return a.esm, nil
}

// esmOf renders m.
func (a *API) esmOf(m trigger.Mapping) esmOutput {
	out := esmOutput{
		UUID:                           m.UUID,
		EventSourceArn:                 m.QueueARN,
		EventSourceMappingArn:          fmt.Sprintf("arn:aws:lambda:%s:%s:event-source-mapping:%s", a.realm.Region, a.realm.Account, m.UUID),
		FunctionArn:                    m.FunctionARN(a.realm),
		BatchSize:                      m.BatchSize,
		MaximumBatchingWindowInSeconds: int(m.MaximumBatchingWindow / time.Second),
		FunctionResponseTypes:          []string{},
		State:                          m.State,
		StateTransitionReason:          m.StateTransitionReason,
		LastModified:                   float64(m.LastModified.UnixMilli()) / 1000,
	}
	if m.ReportBatchItemFailures {
		out.FunctionResponseTypes = []string{reportBatchItemFailures}
	}
	if c := m.MaximumConcurrency; c != 0 {
		out.ScalingConfig = &scalingConfig{MaximumConcurrency: &c}
	}
	return out
}

// serveMapping runs one single-mapping operation: do gets the configured
// service and answers the mapping, which is written with status; any error
// is written instead.
func (a *API) serveMapping(w http.ResponseWriter, r *http.Request, status int, do func(svc EventSourceMappings) (trigger.Mapping, error)) {
	svc, err := a.mappings()
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	m, err := do(svc)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, status, a.esmOf(m))
}

// createEventSourceMapping serves CreateEventSourceMapping.
func (a *API) createEventSourceMapping(w http.ResponseWriter, r *http.Request) {
	a.serveMapping(w, r, http.StatusAccepted, func(svc EventSourceMappings) (trigger.Mapping, error) {
		b, err := readBody(r.Body, maxBodyBytes, "CreateEventSourceMapping")
		if err != nil {
			return trigger.Mapping{}, err
		}
		in, err := decodeESM(b, false)
		if err != nil {
			return trigger.Mapping{}, err
		}
		switch {
		case deref(in.EventSourceArn) == "":
			err = ferry.Errorf(ferry.EINVALID, "EventSourceArn is required")
		case deref(in.FunctionName) == "":
			err = ferry.Errorf(ferry.EINVALID, "FunctionName is required")
		default:
			err = queueSource(*in.EventSourceArn)
		}
		if err != nil {
			return trigger.Mapping{}, err
		}
		m := trigger.Mapping{QueueARN: *in.EventSourceArn, Enabled: true}
		if err := in.apply(a.realm, &m); err != nil {
			return trigger.Mapping{}, err
		}
		return svc.Create(r.Context(), m)
	})
}

// getEventSourceMapping serves GetEventSourceMapping.
func (a *API) getEventSourceMapping(w http.ResponseWriter, r *http.Request) {
	a.serveMapping(w, r, http.StatusOK, func(svc EventSourceMappings) (trigger.Mapping, error) {
		return svc.Get(r.Context(), r.PathValue("uuid"))
	})
}

// updateEventSourceMapping serves UpdateEventSourceMapping: the fields
// present change, the others keep their values.
func (a *API) updateEventSourceMapping(w http.ResponseWriter, r *http.Request) {
	a.serveMapping(w, r, http.StatusAccepted, func(svc EventSourceMappings) (trigger.Mapping, error) {
		b, err := readBody(r.Body, maxBodyBytes, "UpdateEventSourceMapping")
		if err != nil {
			return trigger.Mapping{}, err
		}
		in, err := decodeESM(b, true)
		if err != nil {
			return trigger.Mapping{}, err
		}
		m, err := svc.Get(r.Context(), r.PathValue("uuid"))
		if err != nil {
			return trigger.Mapping{}, err
		}
		if err := in.apply(a.realm, &m); err != nil {
			return trigger.Mapping{}, err
		}
		return svc.Update(r.Context(), m)
	})
}

// deleteEventSourceMapping serves DeleteEventSourceMapping; the answer is
// the mapping in state Deleting.
func (a *API) deleteEventSourceMapping(w http.ResponseWriter, r *http.Request) {
	a.serveMapping(w, r, http.StatusAccepted, func(svc EventSourceMappings) (trigger.Mapping, error) {
		return svc.Delete(r.Context(), r.PathValue("uuid"))
	})
}

// listEventSourceMappings serves ListEventSourceMappings, in UUID order so
// markers stay valid while mappings change.
func (a *API) listEventSourceMappings(w http.ResponseWriter, r *http.Request) {
	svc, err := a.mappings()
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	max, err := parseMaxItems(q.Get("MaxItems"), 10000)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	max = min(max, esmPageMax)
	var function, queue string
	if s := q.Get("FunctionName"); s != "" {
		ref, err := parseFunctionName(a.realm, s, "")
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		function = ref.Name
	}
	if s := q.Get("EventSourceArn"); s != "" {
		if err := queueSource(s); err != nil {
			a.writeError(w, r, err)
			return
		}
		queue = s
	}
	all, err := svc.List(r.Context(), function, queue)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i].UUID < all[j].UUID })
	page, next := paginate(all, func(m trigger.Mapping) string { return m.UUID }, q.Get("Marker"), max)
	out := struct {
		EventSourceMappings []esmOutput `json:"EventSourceMappings"`
		NextMarker          string      `json:"NextMarker,omitempty"`
	}{EventSourceMappings: make([]esmOutput, 0, len(page)), NextMarker: next}
	for _, m := range page {
		out.EventSourceMappings = append(out.EventSourceMappings, a.esmOf(m))
	}
	writeJSON(w, http.StatusOK, out)
}
