package bus

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/pattern"
)

// Replay states beyond running, completed and failed.
const (
	ReplayCancelling = "CANCELLING"
	ReplayCancelled  = "CANCELLED"
)

// errReplayCancelled ends a replay whose state was set to CANCELLING.
var errReplayCancelled = errors.New("replay cancelled")

// ArchiveUpdate is what UpdateArchive may change; nil leaves a field as is.
type ArchiveUpdate struct {
	Description   *string
	EventPattern  *string
	RetentionDays *int
}

// UpdateArchive changes an archive's description, pattern or retention.
// Errors: ENOTFOUND, EINVALID.
func (s *Service) UpdateArchive(ctx context.Context, name string, u ArchiveUpdate) (Archive, error) {
	a, err := s.DescribeArchive(ctx, name)
	if err != nil {
		return Archive{}, err
	}
	if u.Description != nil {
		a.Description = *u.Description
	}
	if u.EventPattern != nil {
		if *u.EventPattern != "" {
			if _, err := pattern.Compile([]byte(*u.EventPattern)); err != nil {
				return Archive{}, err
			}
		}
		a.EventPattern = *u.EventPattern
	}
	if u.RetentionDays != nil {
		if *u.RetentionDays < 0 {
			return Archive{}, ferry.Errorf(ferry.EINVALID, "archive retention %d days must be 0 (forever) or more", *u.RetentionDays)
		}
		a.RetentionDays = *u.RetentionDays
	}
	if err := s.putJSON(ctx, archiveKey(name), a, false); err != nil {
		return Archive{}, err
	}
	return a, nil
}

// ListArchives returns the archives whose names start with prefix and, when
// sourceBus is set, of that bus, by name.
func (s *Service) ListArchives(ctx context.Context, prefix, sourceBus string) ([]Archive, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	s.state.mu.RLock()
	var out []Archive
	for name, a := range s.state.archives {
		if strings.HasPrefix(name, prefix) && (sourceBus == "" || a.SourceBus == sourceBus) {
			out = append(out, a.Archive)
		}
	}
	s.state.mu.RUnlock()
	slices.SortFunc(out, func(a, b Archive) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// ArchiveEventCount returns how many events an archive holds.
func (s *Service) ArchiveEventCount(ctx context.Context, name string) (int64, error) {
	subject := archivePrefix + enc(name)
	if err := natsjs.CheckSubject("archive", subject); err != nil {
		return 0, err
	}
	st, err := s.js.Stream(ctx, archiveStream)
	if err != nil {
		return 0, ferry.Wrap(ferry.EINTERNAL, err, "archive stream")
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return 0, ferry.Wrap(ferry.EINTERNAL, err, "archive stream")
	}
	return int64(info.State.Subjects[subject]), nil
}

// ListReplays returns the replays whose names start with prefix, by name.
func (s *Service) ListReplays(ctx context.Context, prefix string) ([]Replay, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	lister, err := s.kv.ListKeys(ctx)
	if err != nil {
		return nil, ferry.Wrap(ferry.EINTERNAL, err, "list replays")
	}
	var keys []string
	for k := range lister.Keys() {
		if strings.HasPrefix(k, "replay.") {
			keys = append(keys, k)
		}
	}
	var out []Replay
	for _, k := range keys {
		e, err := s.kv.Get(ctx, k)
		if err != nil {
			continue // deleted meanwhile
		}
		var r Replay
		if json.Unmarshal(e.Value(), &r) == nil && strings.HasPrefix(r.Name, prefix) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Replay) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// CancelReplay asks a running replay to stop; it ends CANCELLED after its
// current batch. Errors: ENOTFOUND, ECONFLICT when the replay is not running.
func (s *Service) CancelReplay(ctx context.Context, name string) (Replay, error) {
	for {
		r, err := s.DescribeReplay(ctx, name)
		if err != nil {
			return Replay{}, err
		}
		if r.State != ReplayRunning {
			return Replay{}, ferry.Errorf(ferry.ECONFLICT, "Replay %s is in state %s and cannot be cancelled.", name, r.State)
		}
		e, err := s.kv.Get(ctx, replayKey(name))
		if err != nil {
			return Replay{}, ferry.Wrap(ferry.EINTERNAL, err, "read replay")
		}
		r.State = ReplayCancelling
		b, _ := json.Marshal(r)
		if _, err := s.kv.Update(ctx, replayKey(name), b, e.Revision()); err == nil {
			return r, nil
		}
		if ctx.Err() != nil {
			return Replay{}, ctx.Err()
		}
	}
}

// cancelled reports whether the stored state of replay name asks it to stop.
func (s *Service) cancelled(name string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, err := s.kv.Get(ctx, replayKey(name))
	if err != nil {
		return false
	}
	var r Replay
	return json.Unmarshal(e.Value(), &r) == nil && r.State == ReplayCancelling
}
