package schedule

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// Schedule invokes a function asynchronously on a rate or cron expression.
type Schedule struct {
	// Name is the rule name: 1-64 letters, digits, '.', '-' and '_'.
	Name string `json:"name"`
	// Function is the name of the function to invoke.
	Function string `json:"function,omitempty"`
	// Bus, instead of Function, names the event bus each occurrence's
	// Scheduled Event is put on (an EventBridge rule with a
	// ScheduleExpression: its targets get the event from the bus).
	Bus string `json:"bus,omitempty"`
	// Expression is "rate(5 minutes)" or "cron(0 12 * * ? *)".
	Expression string `json:"expression"`
	// Input is constant JSON sent instead of the Scheduled Event.
	Input string `json:"input,omitempty"`
	// InputPath selects part of the Scheduled Event ($, $.detail,
	// $.resources[0], ...). Input and InputPath exclude each other.
	InputPath string `json:"inputPath,omitempty"`
	Enabled   bool   `json:"enabled"`
	// RuleARN is resources[0] of the event; default
	// arn:aws:events:<region>:<account>:rule/<Name>.
	RuleARN string `json:"ruleArn,omitempty"`
}

// record is a stored schedule. Anchor is when a rate starts counting.
type record struct {
	Schedule
	Anchor time.Time `json:"anchor"`
}

func decodeRecord(b []byte) (record, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return record{}, err
	}
	return r, nil
}

// key is the bucket key of a schedule name (names may hold characters, like
// a leading '.', that keys can't).
func key(name string) string { return base64.RawURLEncoding.EncodeToString([]byte(name)) }

// validate checks a schedule and fills in its default rule ARN.
func (sc *Schedule) validate(realm ferry.Realm) error {
	if !validRuleName(sc.Name) {
		return ferry.Errorf(ferry.EINVALID, "schedule name %q must be 1-64 characters of letters, digits, '.', '-' and '_'", sc.Name)
	}
	if sc.Bus != "" {
		if sc.Function != "" || sc.Input != "" || sc.InputPath != "" {
			return ferry.Errorf(ferry.EINVALID, "schedule %q: a schedule on event bus %q takes no function, Input or InputPath (its rule's targets do)", sc.Name, sc.Bus)
		}
	} else if len(sc.Function) > 64 || !ferry.ValidResourceName(sc.Function) {
		return ferry.Errorf(ferry.EINVALID, "schedule %q: function name %q must be 1-64 characters of letters, digits, '-' and '_'", sc.Name, sc.Function)
	}
	if _, err := ParseExpression(sc.Expression); err != nil {
		return fmt.Errorf("schedule %q: %w", sc.Name, err)
	}
	if sc.Input != "" && sc.InputPath != "" {
		return ferry.Errorf(ferry.EINVALID, "schedule %q: Input and InputPath can't both be set", sc.Name)
	}
	if sc.Input != "" && !json.Valid([]byte(sc.Input)) {
		return ferry.Errorf(ferry.EINVALID, "schedule %q: Input is not valid JSON", sc.Name)
	}
	if sc.RuleARN == "" {
		sc.RuleARN = fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", realm.Region, realm.Account, sc.Name)
	} else if !strings.HasPrefix(sc.RuleARN, "arn:") {
		return ferry.Errorf(ferry.EINVALID, "schedule %q: RuleARN %q is not an ARN", sc.Name, sc.RuleARN)
	}
	if sc.InputPath != "" {
		ev, _ := json.Marshal(scheduledEvent(realm, "00000000-0000-0000-0000-000000000000", sc.RuleARN, time.Unix(0, 0)))
		if _, err := selectPath(ev, sc.InputPath); err != nil {
			return ferry.Wrap(ferry.EINVALID, err, "schedule %q: InputPath", sc.Name)
		}
	}
	return nil
}

func validRuleName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}

// Put creates or replaces a schedule. A rate counts from now unless the
// schedule already existed, enabled, with the same expression (so applying
// the same stack again does not shift it). Errors: EINVALID for a bad name,
// function name, expression, Input or InputPath; EUNAVAILABLE when the
// service is not running. The function's existence is checked when an
// occurrence fires.
func (s *Service) Put(ctx context.Context, sc Schedule) error {
	kv, err := s.ready()
	if err != nil {
		return err
	}
	if err := sc.validate(s.opts.Realm); err != nil {
		return err
	}
	rec := record{Schedule: sc, Anchor: s.now().UTC()}
	k := key(sc.Name)
	old, err := kv.Get(ctx, k)
	switch {
	case err == nil:
		if o, derr := decodeRecord(old.Value()); derr == nil && o.Enabled && sc.Enabled && o.Expression == sc.Expression {
			rec.Anchor = o.Anchor
		}
	case !natsjs.IsNotFound(err):
		return ferry.Wrap(ferry.EUNAVAILABLE, err, "read schedule %q", sc.Name)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	rev, err := kv.Put(ctx, k, b)
	if err != nil {
		return ferry.Wrap(ferry.EUNAVAILABLE, err, "store schedule %q", sc.Name)
	}
	s.mu.Lock()
	if !s.stopped {
		s.applyLocked(k, rev, jetstream.KeyValuePut, b)
	}
	s.mu.Unlock()
	s.log.Info("schedule stored", "schedule", sc.Name, "function", sc.Function, "expression", sc.Expression, "enabled", sc.Enabled)
	return nil
}

// Delete removes a schedule; it stops firing at once. Errors: ENOTFOUND,
// EUNAVAILABLE.
func (s *Service) Delete(ctx context.Context, name string) error {
	kv, err := s.ready()
	if err != nil {
		return err
	}
	k := key(name)
	cur, err := kv.Get(ctx, k)
	if natsjs.IsNotFound(err) {
		return ferry.Errorf(ferry.ENOTFOUND, "schedule %q does not exist", name)
	}
	if err != nil {
		return ferry.Wrap(ferry.EUNAVAILABLE, err, "read schedule %q", name)
	}
	if err := kv.Delete(ctx, k); err != nil {
		return ferry.Wrap(ferry.EUNAVAILABLE, err, "delete schedule %q", name)
	}
	s.mu.Lock()
	if !s.stopped {
		// Ignore the deleted revision and older ones from the watch; the
		// delete marker arrives later and finds nothing to do.
		delete(s.entries, k)
		s.revs[k] = max(s.revs[k], cur.Revision())
		s.poke()
	}
	s.mu.Unlock()
	s.log.Info("schedule deleted", "schedule", name)
	return nil
}

// Get returns a schedule. Errors: ENOTFOUND, EUNAVAILABLE.
func (s *Service) Get(ctx context.Context, name string) (Schedule, error) {
	if _, err := s.ready(); err != nil {
		return Schedule{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[key(name)]
	if e == nil {
		return Schedule{}, ferry.Errorf(ferry.ENOTFOUND, "schedule %q does not exist", name)
	}
	return e.rec.Schedule, nil
}

// List returns every schedule, by name.
func (s *Service) List(ctx context.Context) ([]Schedule, error) {
	if _, err := s.ready(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	out := make([]Schedule, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, e.rec.Schedule)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
