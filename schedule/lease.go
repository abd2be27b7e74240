package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry/natsjs"
)

// LeaseBucket is the key-value bucket holding the schedule lease: the one
// node that fires schedules, until when, and the latest occurrence it
// handed off.
const LeaseBucket = "ferry_schedule_lease"

// leaseKey is the lease's key in LeaseBucket.
const leaseKey = "holder"

// DefaultLeaseTTL is how long a lease lasts without renewal: a dead
// holder's schedules are taken over at most this long after its last
// renewal.
const DefaultLeaseTTL = 10 * time.Second

// leaseOpTimeout bounds one read or write of the lease.
const leaseOpTimeout = 2 * time.Second

// maxCatchUp bounds the occurrences of one schedule a new holder fires for
// the time no node held the lease.
const maxCatchUp = 10

// leaseValue is the stored lease.
type leaseValue struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
	// Fired is the latest occurrence a holder handed off to the async
	// engine; a new holder fires the ones after it that nobody did.
	Fired time.Time `json:"fired,omitzero"`
}

// lease is this node's view of the lease; only the service's run goroutine
// touches it.
type lease struct {
	kv         jetstream.KeyValue
	rev        uint64    // revision of our last write while holding; 0 when not holding
	validUntil time.Time // we fire only before this (our clock), a quarter TTL before the stored expiry
	renewAt    time.Time // next acquire attempt or renewal
	fired      time.Time // latest occurrence we handed off
}

// leaseTTL is the configured lease duration.
func (s *Service) leaseTTL() time.Duration { return s.opts.LeaseTTL }

// holding reports whether this node holds a valid lease at now.
func (s *Service) holding(now time.Time) bool {
	return s.lease.rev != 0 && now.Before(s.lease.validUntil)
}

// setHolder records whether this node holds the lease, for Leader.
func (s *Service) setHolder(v bool) {
	s.mu.Lock()
	s.leader = v
	s.mu.Unlock()
}

// Leader reports whether this node holds the schedule lease (and so is the
// one firing schedules).
func (s *Service) Leader() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leader
}

// tickLease acquires the lease when it is free or expired, or renews it
// when the renewal is due. On acquiring it returns the occurrences no
// holder fired since the previous holder's last one (at most maxCatchUp per
// schedule, none when that is more than three TTLs ago, as there is no
// catch-up after downtime).
func (s *Service) tickLease(now time.Time) []due {
	if now.Before(s.lease.renewAt) {
		return nil
	}
	ttl := s.leaseTTL()
	s.lease.renewAt = now.Add(ttl / 3)
	if s.lease.rev != 0 {
		if err := s.writeLease(now, s.lease.fired); err != nil {
			s.log.Warn("schedule lease lost", "node", s.opts.Node, "err", err)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(s.runCtx, leaseOpTimeout)
	defer cancel()
	cur, err := s.lease.kv.Get(ctx, leaseKey)
	var prev leaseValue
	var rev uint64
	switch {
	case natsjs.IsNotFound(err):
	case err != nil:
		return nil
	default:
		if json.Unmarshal(cur.Value(), &prev) != nil {
			prev = leaseValue{}
		}
		if prev.Holder != "" && prev.Holder != s.opts.Node && now.Before(prev.Expires) {
			return nil // held by a live node
		}
		rev = cur.Revision()
	}
	v := leaseValue{Holder: s.opts.Node, Expires: now.Add(ttl), Fired: prev.Fired}
	b, _ := json.Marshal(v)
	if rev == 0 {
		rev, err = s.lease.kv.Create(ctx, leaseKey, b)
	} else {
		rev, err = s.lease.kv.Update(ctx, leaseKey, b, rev)
	}
	if err != nil {
		return nil // another node was faster
	}
	s.lease.rev, s.lease.validUntil, s.lease.fired = rev, now.Add(ttl-ttl/4), prev.Fired
	s.setHolder(true)
	s.log.Info("schedule lease taken", "node", s.opts.Node, "previous", prev.Holder)
	if prev.Fired.IsZero() || prev.Fired.Before(now.Add(-3*ttl)) {
		return nil
	}
	return s.missedSince(prev.Fired, now)
}

// missedSince returns each schedule's occurrences after from and up to now
// that its timer already passed (so takeDue will not return them).
func (s *Service) missedSince(from, now time.Time) []due {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []due
	for _, e := range s.entries {
		if e.next.IsZero() {
			continue
		}
		t := s.nextAfter(e, from)
		for n := 0; n < maxCatchUp && !t.IsZero() && !t.After(now) && t.Before(e.next); n++ {
			out = append(out, due{rec: e.rec, at: t})
			t = s.nextAfter(e, t)
		}
	}
	return out
}

// writeLease renews the lease held by this node, recording fired as the
// latest occurrence handed off. A refused write (another node took the
// lease, or the store cannot be reached) gives the lease up.
func (s *Service) writeLease(now, fired time.Time) error {
	ttl := s.leaseTTL()
	b, _ := json.Marshal(leaseValue{Holder: s.opts.Node, Expires: now.Add(ttl), Fired: fired})
	ctx, cancel := context.WithTimeout(s.runCtx, leaseOpTimeout)
	defer cancel()
	rev, err := s.lease.kv.Update(ctx, leaseKey, b, s.lease.rev)
	if err != nil {
		s.lease.rev = 0
		s.lease.renewAt = now
		s.setHolder(false)
		return err
	}
	s.lease.rev, s.lease.validUntil, s.lease.fired = rev, now.Add(ttl-ttl/4), fired
	return nil
}

// releaseLease gives the lease up on Stop, keeping the record of the
// latest occurrence fired, so the next holder takes over at once.
func (s *Service) releaseLease() {
	if s.lease.rev == 0 {
		return
	}
	b, _ := json.Marshal(leaseValue{Fired: s.lease.fired})
	ctx, cancel := context.WithTimeout(context.Background(), leaseOpTimeout)
	defer cancel()
	if _, err := s.lease.kv.Update(ctx, leaseKey, b, s.lease.rev); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("schedule lease not released; it expires by itself", "node", s.opts.Node, "err", err)
	}
	s.lease.rev = 0
	s.setHolder(false)
}

// untilLease is how long until the next lease action.
func (s *Service) untilLease(now time.Time) time.Duration {
	return max(s.lease.renewAt.Sub(now), 0)
}
