package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/pattern"
)

// Entry is one PutEvents entry.
type Entry struct {
	EventBusName string // name or ARN; "" is default
	Source       string
	DetailType   string
	Detail       string // a JSON object
	Resources    []string
	Time         time.Time // zero: now
	DedupID      string
	TraceID      string
	Hops         int
}

// EntryResult is the per-entry outcome of PutEvents: an EventID, or an
// ErrorCode (a ferry code) and ErrorMessage.
type EntryResult struct {
	EventID      string
	ErrorCode    string
	ErrorMessage string
}

// Event is the JSON shape targets receive.
type Event struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
	ReplayName string          `json:"replay-name,omitempty"`
}

// envelope is what BUS_EVENTS and BUS_ARCHIVE hold.
type envelope struct {
	Bus         string          `json:"bus"`
	Event       json.RawMessage `json:"event"`
	TraceID     string          `json:"traceId,omitempty"`
	Hops        int             `json:"hops,omitempty"`
	Replay      string          `json:"replay,omitempty"`
	ReplayRules []string        `json:"replayRules,omitempty"`
	Ingested    time.Time       `json:"ingested"`
}

// PutEvent puts one event (ferry.EventPutter). Errors: ENOTFOUND for an
// unknown bus, EINVALID / EINVALIDJSON / ETOOLARGE for a bad entry.
func (s *Service) PutEvent(ctx context.Context, ev ferry.BusEvent) (string, error) {
	res, err := s.PutEvents(ctx, []Entry{{
		EventBusName: ev.Bus, Source: ev.Source, DetailType: ev.DetailType, Detail: ev.Detail,
		Resources: ev.Resources, Time: ev.Time, DedupID: ev.DedupID, TraceID: ev.TraceID, Hops: ev.Hops,
	}})
	if err != nil {
		return "", err
	}
	if r := res[0]; r.ErrorCode != "" {
		return "", ferry.Errorf(r.ErrorCode, "%s", r.ErrorMessage)
	}
	return res[0].EventID, nil
}

// PutEvents validates and durably stores up to 10 entries; each entry has its
// own result. Errors (for the whole call): EINVALID for 0 or more than 10
// entries, EUNAVAILABLE when not running.
func (s *Service) PutEvents(ctx context.Context, entries []Entry) ([]EntryResult, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if len(entries) == 0 || len(entries) > MaxEntries {
		return nil, ferry.Errorf(ferry.EINVALID, "PutEvents takes 1 to %d entries, got %d", MaxEntries, len(entries))
	}
	out := make([]EntryResult, len(entries))
	for i, e := range entries {
		id, err := s.putOne(ctx, e)
		if err != nil {
			out[i] = EntryResult{ErrorCode: ferry.ErrorCode(err), ErrorMessage: ferry.ErrorMessage(err)}
			continue
		}
		out[i] = EntryResult{EventID: id}
	}
	return out, nil
}

func busName(nameOrARN string) (string, error) {
	if nameOrARN == "" {
		return DefaultBus, nil
	}
	if len(nameOrARN) > 4 && nameOrARN[:4] == "arn:" {
		a, err := ferry.ParseARN(nameOrARN)
		if err != nil {
			return "", err
		}
		if a.Kind != ferry.KindBus {
			return "", ferry.Errorf(ferry.EINVALID, "%q is not an event bus ARN", nameOrARN)
		}
		return a.Name, nil
	}
	return nameOrARN, nil
}

func (s *Service) putOne(ctx context.Context, e Entry) (string, error) {
	bus, err := busName(e.EventBusName)
	if err != nil {
		return "", err
	}
	switch {
	case e.Source == "":
		return "", ferry.Errorf(ferry.EINVALID, "Source is required")
	case e.DetailType == "":
		return "", ferry.Errorf(ferry.EINVALID, "DetailType is required")
	case e.Detail == "":
		return "", ferry.Errorf(ferry.EINVALID, "Detail is required")
	}
	var detail map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil || detail == nil {
		return "", ferry.Errorf(ferry.EINVALIDJSON, "Detail is not a JSON object")
	}
	size := len(e.Source) + len(e.DetailType) + len(e.Detail)
	for _, r := range e.Resources {
		size += len(r)
	}
	if !e.Time.IsZero() {
		size += 14
	}
	if size > MaxEntrySize {
		return "", ferry.Errorf(ferry.ETOOLARGE, "entry is %d bytes; the limit is %d", size, MaxEntrySize)
	}
	s.state.mu.RLock()
	_, ok := s.state.buses[bus]
	s.state.mu.RUnlock()
	if !ok {
		return "", ferry.Errorf(ferry.ENOTFOUND, "event bus %q does not exist", bus)
	}
	now := time.Now().UTC()
	t := e.Time
	if t.IsZero() {
		t = now
	}
	id := uuid.NewString()
	if e.DedupID != "" {
		id = uuid.NewSHA1(uuid.NameSpaceOID, []byte("bus-event:"+e.DedupID)).String()
	}
	resources := e.Resources
	if resources == nil {
		resources = []string{}
	}
	ev, err := json.Marshal(Event{
		Version: "0", ID: id, DetailType: e.DetailType, Source: e.Source,
		Account: s.opts.Realm.Account, Time: t.UTC().Format(time.RFC3339), Region: s.opts.Realm.Region,
		Resources: resources, Detail: json.RawMessage(e.Detail),
	})
	if err != nil {
		return "", ferry.Wrap(ferry.EINTERNAL, err, "encode event")
	}
	env := envelope{Bus: bus, Event: ev, TraceID: e.TraceID, Hops: e.Hops, Ingested: now}
	if err := s.publishEvent(ctx, env, id); err != nil {
		return "", err
	}
	return id, nil
}

func (s *Service) publishEvent(ctx context.Context, env envelope, msgID string) error {
	b, err := json.Marshal(env)
	if err != nil {
		return ferry.Wrap(ferry.EINTERNAL, err, "encode event")
	}
	if _, err := s.js.Publish(ctx, eventsSubject, b, jetstream.WithMsgID(msgID)); err != nil {
		return ferry.Wrap(ferry.EUNAVAILABLE, err, "store event")
	}
	return nil
}

// TestEventPattern reports whether event (a full event JSON) matches pattern.
// Errors: EINVALID / EINVALIDJSON for a bad pattern or event.
func (s *Service) TestEventPattern(patternJSON, event string) (bool, error) {
	p, err := pattern.Compile([]byte(patternJSON))
	if err != nil {
		return false, err
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(event), &v); err != nil || v == nil {
		return false, ferry.Errorf(ferry.EINVALIDJSON, "event is not a JSON object")
	}
	for _, f := range []string{"id", "account", "source", "time", "region", "detail-type"} {
		if _, ok := v[f]; !ok {
			return false, ferry.Errorf(ferry.EINVALID, "event is missing the %q field", f)
		}
	}
	return p.MatchValue(v), nil
}

// delivery is one event for one target, held in BUS_DELIVERIES.
type delivery struct {
	EventID  string `json:"eventId"`
	Bus      string `json:"bus"`
	Rule     string `json:"rule"`
	TargetID string `json:"targetId"`
	Arn      string `json:"arn"`
	Payload  string `json:"payload"`
	Key      string `json:"key"` // dedup key at the target
	TraceID  string `json:"traceId,omitempty"`
	Hops     int    `json:"hops,omitempty"`
}

func (s *Service) startDispatcher(ctx context.Context) error {
	cons, err := s.js.CreateOrUpdateConsumer(ctx, eventsStream, jetstream.ConsumerConfig{
		Durable: "dispatcher", AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second,
		MaxAckPending: 1000,
	})
	if err != nil {
		return fmt.Errorf("bus: dispatcher consumer: %w", err)
	}
	cc, err := cons.Consume(s.dispatch)
	if err != nil {
		return fmt.Errorf("bus: dispatcher: %w", err)
	}
	s.stops = append(s.stops, func() { cc.Drain(); <-cc.Closed() })
	return nil
}

// dispatch matches one stored event and fans it out to deliveries and archives.
func (s *Service) dispatch(msg jetstream.Msg) {
	var env envelope
	if err := json.Unmarshal(msg.Data(), &env); err != nil {
		s.log.Error("dropping undecodable event", "err", err)
		_ = msg.Term()
		return
	}
	var decoded map[string]any
	if err := json.Unmarshal(env.Event, &decoded); err != nil {
		s.log.Error("dropping undecodable event", "err", err)
		_ = msg.Term()
		return
	}
	eventID, _ := decoded["id"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var deliveries []delivery
	var archives []*compiledArchive
	s.state.mu.RLock()
	for _, r := range s.state.rules[env.Bus] {
		if r.State != Enabled || len(r.Targets) == 0 {
			continue
		}
		if env.Replay != "" && len(env.ReplayRules) > 0 && !contains(env.ReplayRules, r.Arn) {
			continue
		}
		if !r.pat.MatchValue(decoded) {
			continue
		}
		tc := &transformCtx{event: env.Event, decoded: decoded, ruleName: r.Name, ruleArn: r.Arn, ingestion: env.Ingested}
		for i := range r.Targets {
			t := &r.Targets[i]
			payload, err := input(t, tc)
			if err != nil {
				s.log.Error("input transformation failed", "rule", r.Name, "target", t.Id, "err", err)
				s.dropped.Add(1)
				continue
			}
			key := eventID + "/" + env.Bus + "/" + r.Name + "/" + t.Id
			if env.Replay != "" {
				key += "/replay/" + env.Replay
			}
			deliveries = append(deliveries, delivery{
				EventID: eventID, Bus: env.Bus, Rule: r.Name, TargetID: t.Id, Arn: t.Arn,
				Payload: string(payload), Key: key, TraceID: env.TraceID, Hops: env.Hops,
			})
		}
	}
	if env.Replay == "" {
		for _, a := range s.state.archives {
			if a.SourceBus == env.Bus && (a.pat == nil || a.pat.MatchValue(decoded)) {
				archives = append(archives, a)
			}
		}
	}
	s.state.mu.RUnlock()

	// Archive first, so an event is archived before any target sees it.
	for _, a := range archives {
		opts := []jetstream.PublishOpt{jetstream.WithMsgID("archive/" + a.Name + "/" + eventID)}
		if a.RetentionDays > 0 {
			opts = append(opts, jetstream.WithMsgTTL(time.Duration(a.RetentionDays)*24*time.Hour))
		}
		arch := env
		arch.TraceID, arch.Hops = "", 0
		b, _ := json.Marshal(arch)
		if _, err := s.js.Publish(ctx, archivePrefix+enc(a.Name), b, opts...); err != nil {
			s.log.Warn("archive failed; event will be dispatched again", "event", eventID, "archive", a.Name, "err", err)
			_ = msg.NakWithDelay(s.opts.RetryBase)
			return
		}
	}
	for _, d := range deliveries {
		b, _ := json.Marshal(d)
		if _, err := s.js.Publish(ctx, deliverySubject, b, jetstream.WithMsgID(d.Key)); err != nil {
			s.log.Warn("queue delivery failed; event will be dispatched again", "event", eventID, "err", err)
			_ = msg.NakWithDelay(s.opts.RetryBase)
			return
		}
	}
	if err := msg.DoubleAck(ctx); err != nil {
		s.log.Warn("ack event", "event", eventID, "err", err)
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
