package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/pattern"
)

// Archive keeps the events of a bus that match its pattern (all of them when
// the pattern is empty) for RetentionDays (0: forever).
type Archive struct {
	Name          string    `json:"name"`
	Arn           string    `json:"arn"`
	SourceBus     string    `json:"sourceBus"`
	EventPattern  string    `json:"eventPattern,omitempty"`
	RetentionDays int       `json:"retentionDays,omitempty"`
	Description   string    `json:"description,omitempty"`
	Created       time.Time `json:"created"`
}

// Replay states.
const (
	ReplayRunning   = "RUNNING"
	ReplayCompleted = "COMPLETED"
	ReplayFailed    = "FAILED"
)

// Replay re-sends the archived events whose ingestion time is in
// [Start, End) to DestinationBus (the archive's bus), optionally only to the
// rules in Rules (ARNs). Replayed events carry "replay-name".
type Replay struct {
	Name           string    `json:"name"`
	Arn            string    `json:"arn"`
	Archive        string    `json:"archive"`
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	DestinationBus string    `json:"destinationBus"`
	Rules          []string  `json:"rules,omitempty"`
	State          string    `json:"state"`
	StateReason    string    `json:"stateReason,omitempty"`
	LastSeq        uint64    `json:"lastSeq,omitempty"` // archive stream sequence replayed so far
	Replayed       int       `json:"replayed"`
	Description    string    `json:"description,omitempty"`
}

// CreateArchive creates an archive of a bus. Errors: EINVALID, ENOTFOUND for
// the bus, ECONFLICT if the name exists.
func (s *Service) CreateArchive(ctx context.Context, a Archive) (string, error) {
	if err := s.ready(); err != nil {
		return "", err
	}
	if !archiveNames.MatchString(a.Name) {
		return "", ferry.Errorf(ferry.EINVALID, "archive name %q must be 1-48 characters of A-Z a-z 0-9 . - _", a.Name)
	}
	bus, err := busName(a.SourceBus)
	if err != nil {
		return "", err
	}
	a.SourceBus = bus
	if a.RetentionDays < 0 {
		return "", ferry.Errorf(ferry.EINVALID, "archive retention %d days must be 0 (forever) or more", a.RetentionDays)
	}
	if a.EventPattern != "" {
		if _, err := pattern.Compile([]byte(a.EventPattern)); err != nil {
			return "", err
		}
	}
	s.state.mu.RLock()
	_, ok := s.state.buses[bus]
	s.state.mu.RUnlock()
	if !ok {
		return "", ferry.Errorf(ferry.ENOTFOUND, "event bus %q does not exist", bus)
	}
	a.Arn = fmt.Sprintf("arn:aws:events:%s:%s:archive/%s", s.opts.Realm.Region, s.opts.Realm.Account, a.Name)
	a.Created = time.Now().UTC()
	if err := s.putJSON(ctx, archiveKey(a.Name), a, true); err != nil {
		if ferry.ErrorCode(err) == ferry.ECONFLICT {
			return "", ferry.Errorf(ferry.ECONFLICT, "archive %q already exists", a.Name)
		}
		return "", err
	}
	return a.Arn, nil
}

// DescribeArchive returns an archive. Errors: ENOTFOUND.
func (s *Service) DescribeArchive(ctx context.Context, name string) (Archive, error) {
	if err := s.ready(); err != nil {
		return Archive{}, err
	}
	s.state.mu.RLock()
	defer s.state.mu.RUnlock()
	a, ok := s.state.archives[name]
	if !ok {
		return Archive{}, ferry.Errorf(ferry.ENOTFOUND, "archive %q does not exist", name)
	}
	return a.Archive, nil
}

// DeleteArchive deletes an archive and its events. Errors: ENOTFOUND.
func (s *Service) DeleteArchive(ctx context.Context, name string) error {
	if _, err := s.DescribeArchive(ctx, name); err != nil {
		return err
	}
	if err := s.deleteKey(ctx, archiveKey(name)); err != nil {
		return err
	}
	st, err := s.js.Stream(ctx, archiveStream)
	if err != nil {
		return ferry.Wrap(ferry.EINTERNAL, err, "archive stream")
	}
	if err := natsjs.CheckSubject("archive", archivePrefix+enc(name)); err != nil {
		return err
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSubject(archivePrefix+enc(name))); err != nil {
		return ferry.Wrap(ferry.EINTERNAL, err, "purge archive %q", name)
	}
	return nil
}

// StartReplay starts replaying an archive in the background and returns the
// replay's ARN; DescribeReplay reports progress. Errors: EINVALID (times,
// destination not the archive's bus), ENOTFOUND, ECONFLICT for a used name.
func (s *Service) StartReplay(ctx context.Context, r Replay) (string, error) {
	if err := s.ready(); err != nil {
		return "", err
	}
	if !archiveNames.MatchString(r.Name) {
		return "", ferry.Errorf(ferry.EINVALID, "replay name %q must be 1-64 characters of A-Z a-z 0-9 . - _", r.Name)
	}
	a, err := s.DescribeArchive(ctx, r.Archive)
	if err != nil {
		return "", err
	}
	dest, err := busName(r.DestinationBus)
	if err != nil {
		return "", err
	}
	if dest != a.SourceBus {
		return "", ferry.Errorf(ferry.EINVALID, "replay destination %q must be the archive's source bus %q", dest, a.SourceBus)
	}
	if r.Start.IsZero() || r.End.IsZero() || !r.Start.Before(r.End) {
		return "", ferry.Errorf(ferry.EINVALID, "replay needs EventStartTime before EventEndTime")
	}
	if r.End.After(time.Now().Add(time.Minute)) {
		return "", ferry.Errorf(ferry.EINVALID, "replay EventEndTime is in the future")
	}
	r.DestinationBus = dest
	r.Arn = fmt.Sprintf("arn:aws:events:%s:%s:replay/%s", s.opts.Realm.Region, s.opts.Realm.Account, r.Name)
	r.State, r.StateReason, r.LastSeq, r.Replayed = ReplayRunning, "", 0, 0
	b, _ := json.Marshal(r)
	if _, err := s.kv.Create(ctx, replayKey(r.Name), b); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return "", ferry.Errorf(ferry.ECONFLICT, "replay %q already exists", r.Name)
		}
		return "", ferry.Wrap(ferry.EINTERNAL, err, "store replay")
	}
	s.mu.Lock()
	if s.running {
		s.spawnReplay(s.runCtx, r)
	}
	s.mu.Unlock()
	return r.Arn, nil
}

// DescribeReplay returns a replay's state. Errors: ENOTFOUND.
func (s *Service) DescribeReplay(ctx context.Context, name string) (Replay, error) {
	if err := s.ready(); err != nil {
		return Replay{}, err
	}
	if err := natsjs.CheckKey("replay key", replayKey(name)); err != nil {
		return Replay{}, err
	}
	e, err := s.kv.Get(ctx, replayKey(name))
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return Replay{}, ferry.Errorf(ferry.ENOTFOUND, "replay %q does not exist", name)
		}
		return Replay{}, ferry.Wrap(ferry.EINTERNAL, err, "read replay")
	}
	var r Replay
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return Replay{}, ferry.Wrap(ferry.EINTERNAL, err, "decode replay")
	}
	return r, nil
}

// resumeReplays restarts replays that were running when Ferry stopped; the
// per-event Msg-Id makes already replayed events duplicates.
func (s *Service) resumeReplays(ctx, runCtx context.Context) error {
	lister, err := s.kv.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("bus: list replays: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		if len(k) > 7 && k[:7] == "replay." {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		e, err := s.kv.Get(ctx, k)
		if err != nil {
			continue
		}
		var r Replay
		if json.Unmarshal(e.Value(), &r) == nil && r.State == ReplayRunning {
			s.spawnReplay(runCtx, r)
		}
	}
	return nil
}

func (s *Service) spawnReplay(ctx context.Context, r Replay) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.replay(ctx, &r); errors.Is(err, errReplayCancelled) {
			r.State = ReplayCancelled
		} else if err != nil {
			if ctx.Err() != nil {
				return // stopping: resumed on the next start
			}
			r.State, r.StateReason = ReplayFailed, err.Error()
			s.log.Error("replay failed", "replay", r.Name, "err", err)
		} else {
			r.State = ReplayCompleted
		}
		s.saveReplay(r)
	}()
}

func (s *Service) saveReplay(r Replay) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, _ := json.Marshal(r)
	if _, err := s.kv.Put(ctx, replayKey(r.Name), b); err != nil {
		s.log.Warn("save replay", "replay", r.Name, "err", err)
	}
}

func (s *Service) replay(ctx context.Context, r *Replay) error {
	subject := archivePrefix + enc(r.Archive)
	if err := natsjs.CheckSubject("archive", subject); err != nil {
		return err
	}
	st, err := s.js.Stream(ctx, archiveStream)
	if err != nil {
		return err
	}
	lastMsg, err := st.GetLastMsgForSubject(ctx, subject)
	if err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil // an empty archive
		}
		return err
	}
	last := lastMsg.Sequence
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}}
	if r.LastSeq > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, r.LastSeq+1
	} else {
		start := r.Start
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	if r.LastSeq >= last {
		return nil
	}
	cons, err := st.OrderedConsumer(ctx, cfg)
	if err != nil {
		return err
	}
	for {
		msgs, err := cons.Fetch(100, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return err
		}
		n, done := 0, false
		var failed error
		// Drain the whole batch even when done, so the fetch ends with us.
		for msg := range msgs.Messages() {
			n++
			if done || failed != nil {
				continue
			}
			meta, err := msg.Metadata()
			if err != nil {
				failed = err
				continue
			}
			if !meta.Timestamp.Before(r.End) || meta.Sequence.Stream > last {
				done = true
				continue
			}
			if err := s.replayOne(ctx, r, msg.Data(), meta.Sequence.Stream); err != nil {
				failed = err
				continue
			}
			r.LastSeq = meta.Sequence.Stream
			r.Replayed++
			done = r.LastSeq >= last
		}
		switch {
		case failed != nil:
			return failed
		case done || n == 0:
			return nil
		case msgs.Error() != nil:
			return msgs.Error()
		case ctx.Err() != nil:
			return ctx.Err()
		case s.cancelled(r.Name):
			return errReplayCancelled
		}
		s.saveReplay(*r)
	}
}

func (s *Service) replayOne(ctx context.Context, r *Replay, data []byte, seq uint64) error {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil // not an event: skip
	}
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(env.Event, &ev); err != nil {
		return nil
	}
	name, _ := json.Marshal(r.Name)
	ev["replay-name"] = name
	// Keep the event's field order: re-encode through Event.
	var out Event
	b, _ := json.Marshal(ev)
	if err := json.Unmarshal(b, &out); err != nil {
		return nil
	}
	evJSON, _ := json.Marshal(out)
	env.Event = evJSON
	env.Bus = r.DestinationBus
	env.Replay = r.Name
	env.ReplayRules = r.Rules
	return s.publishEvent(ctx, env, fmt.Sprintf("replay/%s/%d", r.Name, seq))
}
