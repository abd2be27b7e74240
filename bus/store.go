package bus

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/pattern"
)

// Bus is an event bus.
type Bus struct {
	Name        string    `json:"name"`
	Arn         string    `json:"arn"`
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
}

// Rule states.
const (
	Enabled  = "ENABLED"
	Disabled = "DISABLED"
)

// Rule is a rule on a bus.
type Rule struct {
	Bus          string   `json:"bus"`
	Name         string   `json:"name"`
	Arn          string   `json:"arn"`
	EventPattern string   `json:"eventPattern"`
	State        string   `json:"state"`
	Description  string   `json:"description,omitempty"`
	Targets      []Target `json:"targets,omitempty"`
	// ScheduleExpression, when set, says the rule runs on a schedule: the
	// scheduler puts its Scheduled Events on the bus and EventPattern
	// matches them. Stored for DescribeRule; the bus does not run it.
	ScheduleExpression string `json:"scheduleExpression,omitempty"`
	// ManagedBy names the service that owns the rule (an archive's rule).
	ManagedBy string `json:"managedBy,omitempty"`
}

// Target is where a rule sends matching events.
type Target struct {
	Id               string            `json:"id"`
	Arn              string            `json:"arn"`
	Input            string            `json:"input,omitempty"`
	InputPath        string            `json:"inputPath,omitempty"`
	InputTransformer *InputTransformer `json:"inputTransformer,omitempty"`
}

// InputTransformer rewrites the event with values taken by JSONPath.
type InputTransformer struct {
	InputPathsMap map[string]string `json:"inputPathsMap,omitempty"`
	InputTemplate string            `json:"inputTemplate"`
}

// TargetFailure is a per-target failure of PutTargets or RemoveTargets.
type TargetFailure struct {
	TargetId     string
	ErrorCode    string // a ferry error code
	ErrorMessage string
}

var (
	busNameRE    = regexp.MustCompile(`^[/\.\-_A-Za-z0-9]{1,256}$`)
	ruleNameRE   = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)
	targetIDRE   = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)
	archiveNames = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,48}$`)
)

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func busKey(name string) string       { return "bus." + enc(name) }
func ruleKey(bus, name string) string { return "rule." + enc(bus) + "." + enc(name) }
func archiveKey(name string) string   { return "archive." + enc(name) }
func replayKey(name string) string    { return "replay." + enc(name) }
func busOrDefault(name string) string {
	if name == "" {
		return DefaultBus
	}
	return name
}

type compiledRule struct {
	Rule
	pat *pattern.Pattern
	rev uint64 // KV revision the rule was read at
}

// copy returns the rule with a targets slice of its own.
func (r *compiledRule) copy() Rule {
	out := r.Rule
	out.Targets = slices.Clone(r.Targets)
	return out
}

type compiledArchive struct {
	Archive
	pat *pattern.Pattern // nil: every event
}

// cache is the in-memory view of the KV bucket, fed by a watcher; each entry
// keeps the revision it came from so an older update never replaces a newer one.
type cache struct {
	mu       sync.RWMutex
	revs     map[string]uint64
	buses    map[string]Bus
	rules    map[string]map[string]*compiledRule // bus -> name
	archives map[string]*compiledArchive
}

func newCache() *cache {
	return &cache{revs: map[string]uint64{}, buses: map[string]Bus{}, rules: map[string]map[string]*compiledRule{}, archives: map[string]*compiledArchive{}}
}

// apply records a put (val != nil) or delete of key at revision rev.
func (c *cache) apply(key string, rev uint64, val []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rev < c.revs[key] {
		return nil
	}
	c.revs[key] = rev
	kind, rest, _ := strings.Cut(key, ".")
	switch kind {
	case "bus":
		name := dec(rest)
		if val == nil {
			delete(c.buses, name)
			return nil
		}
		var b Bus
		if err := json.Unmarshal(val, &b); err != nil {
			return err
		}
		c.buses[b.Name] = b
	case "rule":
		bEnc, nEnc, _ := strings.Cut(rest, ".")
		bus, name := dec(bEnc), dec(nEnc)
		if val == nil {
			delete(c.rules[bus], name)
			return nil
		}
		var r Rule
		if err := json.Unmarshal(val, &r); err != nil {
			return err
		}
		p, err := pattern.Compile([]byte(r.EventPattern))
		if err != nil {
			return err
		}
		if c.rules[bus] == nil {
			c.rules[bus] = map[string]*compiledRule{}
		}
		c.rules[bus][name] = &compiledRule{Rule: r, pat: p, rev: rev}
	case "archive":
		name := dec(rest)
		if val == nil {
			delete(c.archives, name)
			return nil
		}
		var a Archive
		if err := json.Unmarshal(val, &a); err != nil {
			return err
		}
		ca := &compiledArchive{Archive: a}
		if a.EventPattern != "" {
			p, err := pattern.Compile([]byte(a.EventPattern))
			if err != nil {
				return err
			}
			ca.pat = p
		}
		c.archives[name] = ca
	}
	return nil
}

func dec(s string) string {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	return string(b)
}

// watch loads the bucket and keeps the cache current until runCtx ends.
func (s *Service) watch(ctx, runCtx context.Context) (*cache, error) {
	c := newCache()
	w, err := s.kv.WatchAll(runCtx)
	if err != nil {
		return nil, fmt.Errorf("bus: watch config: %w", err)
	}
	apply := func(e jetstream.KeyValueEntry) {
		var val []byte
		if e.Operation() == jetstream.KeyValuePut {
			val = e.Value()
		}
		if err := c.apply(e.Key(), e.Revision(), val); err != nil {
			s.log.Error("bad config entry", "key", e.Key(), "err", err)
		}
	}
	// Initial values end with a nil entry.
	for loaded := false; !loaded; {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("bus: config watcher closed")
			}
			if e == nil {
				loaded = true
				break
			}
			apply(e)
		case <-ctx.Done():
			_ = w.Stop()
			return nil, ctx.Err()
		}
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { _ = w.Stop() }()
		for {
			select {
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e != nil {
					apply(e)
				}
			case <-runCtx.Done():
				return
			}
		}
	}()
	return c, nil
}

func (s *Service) putJSON(ctx context.Context, key string, v any, create bool) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := natsjs.CheckKey("bus key", key); err != nil {
		return err
	}
	var rev uint64
	if create {
		rev, err = s.kv.Create(ctx, key, b)
		if errors.Is(err, jetstream.ErrKeyExists) {
			return ferry.Errorf(ferry.ECONFLICT, "already exists")
		}
	} else {
		rev, err = s.kv.Put(ctx, key, b)
	}
	if err != nil {
		return ferry.Wrap(ferry.EINTERNAL, err, "bus: store %s", key)
	}
	return s.state.apply(key, rev, b)
}

// updateRule stores a rule only if its key is still at the revision it was
// read at, so concurrent target updates do not overwrite each other.
func (s *Service) updateRule(ctx context.Context, r Rule, rev uint64) error {
	key := ruleKey(r.Bus, r.Name)
	if err := natsjs.CheckKey("rule key", key); err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	nrev, err := s.kv.Update(ctx, key, b, rev)
	if err != nil {
		return ferry.Wrap(ferry.ECONFLICT, err, "rule %q was changed concurrently; retry", r.Name)
	}
	return s.state.apply(key, nrev, b)
}

func (s *Service) deleteKey(ctx context.Context, key string) error {
	if err := natsjs.CheckKey("bus key", key); err != nil {
		return err
	}
	if err := s.kv.Delete(ctx, key); err != nil && !natsjs.IsNotFound(err) {
		return ferry.Wrap(ferry.EINTERNAL, err, "bus: delete %s", key)
	}
	// The delete marker's revision is not returned; it is above the last put's,
	// so apply the delete locally at that revision + 1 (reads see it now, a
	// late watcher update of the old put cannot bring it back).
	s.state.mu.Lock()
	rev := s.state.revs[key] + 1
	s.state.mu.Unlock()
	return s.state.apply(key, rev, nil)
}

func (s *Service) ensureDefaultBus(ctx context.Context) error {
	b := Bus{Name: DefaultBus, Arn: s.opts.Realm.BusARN(DefaultBus), Created: time.Now().UTC()}
	err := s.putJSON(ctx, busKey(DefaultBus), b, true)
	if err != nil && ferry.ErrorCode(err) != ferry.ECONFLICT {
		return err
	}
	return nil
}

// CreateBus creates a bus. Errors: EINVALID for a bad name, ECONFLICT if it exists.
func (s *Service) CreateBus(ctx context.Context, name, description string) (Bus, error) {
	if err := s.ready(); err != nil {
		return Bus{}, err
	}
	if !busNameRE.MatchString(name) {
		return Bus{}, ferry.Errorf(ferry.EINVALID, "bus name %q must be 1-256 characters of A-Z a-z 0-9 . - _ /", name)
	}
	b := Bus{Name: name, Arn: s.opts.Realm.BusARN(name), Description: description, Created: time.Now().UTC()}
	if err := s.putJSON(ctx, busKey(name), b, true); err != nil {
		if ferry.ErrorCode(err) == ferry.ECONFLICT {
			return Bus{}, ferry.Errorf(ferry.ECONFLICT, "event bus %q already exists", name)
		}
		return Bus{}, err
	}
	return b, nil
}

// DeleteBus deletes a bus. The default bus cannot be deleted (EINVALID); a
// bus with rules is refused with ECONFLICT; an unknown bus is ENOTFOUND.
func (s *Service) DeleteBus(ctx context.Context, name string) error {
	if err := s.ready(); err != nil {
		return err
	}
	if name == DefaultBus {
		return ferry.Errorf(ferry.EINVALID, "the default event bus cannot be deleted")
	}
	s.state.mu.RLock()
	_, ok := s.state.buses[name]
	nrules := len(s.state.rules[name])
	s.state.mu.RUnlock()
	if !ok {
		return ferry.Errorf(ferry.ENOTFOUND, "event bus %q does not exist", name)
	}
	if nrules > 0 {
		return ferry.Errorf(ferry.ECONFLICT, "event bus %q still has %d rules", name, nrules)
	}
	return s.deleteKey(ctx, busKey(name))
}

// ListBuses returns the buses sorted by name.
func (s *Service) ListBuses(ctx context.Context) ([]Bus, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	s.state.mu.RLock()
	defer s.state.mu.RUnlock()
	out := make([]Bus, 0, len(s.state.buses))
	for _, b := range s.state.buses {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b Bus) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *Service) ruleARN(bus, name string) string {
	if bus == DefaultBus {
		return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", s.opts.Realm.Region, s.opts.Realm.Account, name)
	}
	return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s/%s", s.opts.Realm.Region, s.opts.Realm.Account, bus, name)
}

func (s *Service) getRule(bus, name string) (*compiledRule, error) {
	s.state.mu.RLock()
	defer s.state.mu.RUnlock()
	if _, ok := s.state.buses[bus]; !ok {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "event bus %q does not exist", bus)
	}
	r, ok := s.state.rules[bus][name]
	if !ok {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "rule %q does not exist on event bus %q", name, bus)
	}
	return r, nil
}

// PutRule creates or updates a rule (its targets are kept) and returns its
// ARN. State defaults to ENABLED. Errors: EINVALID (name, state, pattern),
// ENOTFOUND for an unknown bus.
func (s *Service) PutRule(ctx context.Context, r Rule) (string, error) {
	if err := s.ready(); err != nil {
		return "", err
	}
	r.Bus = busOrDefault(r.Bus)
	if !ruleNameRE.MatchString(r.Name) {
		return "", ferry.Errorf(ferry.EINVALID, "rule name %q must be 1-64 characters of A-Z a-z 0-9 . - _", r.Name)
	}
	switch r.State {
	case "":
		r.State = Enabled
	case Enabled, Disabled:
	default:
		return "", ferry.Errorf(ferry.EINVALID, "rule state %q must be ENABLED or DISABLED", r.State)
	}
	if r.EventPattern == "" {
		return "", ferry.Errorf(ferry.EINVALID, "rule %q needs an EventPattern", r.Name)
	}
	if _, err := pattern.Compile([]byte(r.EventPattern)); err != nil {
		return "", err
	}
	r.Arn = s.ruleARN(r.Bus, r.Name)
	s.state.mu.RLock()
	_, busOK := s.state.buses[r.Bus]
	s.state.mu.RUnlock()
	if !busOK {
		return "", ferry.Errorf(ferry.ENOTFOUND, "event bus %q does not exist", r.Bus)
	}
	r.Targets = nil
	if old, err := s.getRule(r.Bus, r.Name); err == nil {
		r.Targets = old.Targets
	}
	if err := s.putJSON(ctx, ruleKey(r.Bus, r.Name), r, false); err != nil {
		return "", err
	}
	return r.Arn, nil
}

// DeleteRule deletes a rule. Errors: ENOTFOUND, ECONFLICT while it has targets.
func (s *Service) DeleteRule(ctx context.Context, bus, name string) error {
	if err := s.ready(); err != nil {
		return err
	}
	bus = busOrDefault(bus)
	r, err := s.getRule(bus, name)
	if err != nil {
		return err
	}
	if len(r.Targets) > 0 {
		return ferry.Errorf(ferry.ECONFLICT, "rule %q can't be deleted since it has %d targets; remove them first", name, len(r.Targets))
	}
	return s.deleteKey(ctx, ruleKey(bus, name))
}

// DescribeRule returns a rule with its targets.
func (s *Service) DescribeRule(ctx context.Context, bus, name string) (Rule, error) {
	if err := s.ready(); err != nil {
		return Rule{}, err
	}
	r, err := s.getRule(busOrDefault(bus), name)
	if err != nil {
		return Rule{}, err
	}
	return r.copy(), nil
}

// ListRules returns the rules of a bus whose names start with prefix, by name.
func (s *Service) ListRules(ctx context.Context, bus, prefix string) ([]Rule, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	bus = busOrDefault(bus)
	s.state.mu.RLock()
	defer s.state.mu.RUnlock()
	if _, ok := s.state.buses[bus]; !ok {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "event bus %q does not exist", bus)
	}
	var out []Rule
	for name, r := range s.state.rules[bus] {
		if strings.HasPrefix(name, prefix) {
			out = append(out, r.copy())
		}
	}
	slices.SortFunc(out, func(a, b Rule) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// PutTargets adds or replaces targets (by Id) of a rule. Invalid targets are
// reported per target and the valid ones are stored. Errors: ENOTFOUND for
// the rule, EINVALID when the rule would have more than 5 targets.
func (s *Service) PutTargets(ctx context.Context, bus, rule string, targets []Target) ([]TargetFailure, error) {
	return s.editTargets(ctx, bus, rule, func(next *Rule) ([]TargetFailure, error) {
		var failed []TargetFailure
		for _, t := range targets {
			if err := validateTarget(t); err != nil {
				failed = append(failed, TargetFailure{TargetId: t.Id, ErrorCode: ferry.ErrorCode(err), ErrorMessage: ferry.ErrorMessage(err)})
				continue
			}
			if i := slices.IndexFunc(next.Targets, func(x Target) bool { return x.Id == t.Id }); i >= 0 {
				next.Targets[i] = t
			} else {
				next.Targets = append(next.Targets, t)
			}
		}
		if len(next.Targets) > MaxTargets {
			return nil, ferry.Errorf(ferry.EINVALID, "rule %q would have %d targets; the limit is %d", rule, len(next.Targets), MaxTargets)
		}
		return failed, nil
	})
}

// RemoveTargets removes targets by Id; unknown ids are reported per target.
func (s *Service) RemoveTargets(ctx context.Context, bus, rule string, ids []string) ([]TargetFailure, error) {
	return s.editTargets(ctx, bus, rule, func(next *Rule) ([]TargetFailure, error) {
		var failed []TargetFailure
		for _, id := range ids {
			i := slices.IndexFunc(next.Targets, func(x Target) bool { return x.Id == id })
			if i < 0 {
				failed = append(failed, TargetFailure{TargetId: id, ErrorCode: ferry.ENOTFOUND, ErrorMessage: fmt.Sprintf("target %q is not on rule %q", id, rule)})
				continue
			}
			next.Targets = slices.Delete(next.Targets, i, i+1)
		}
		return failed, nil
	})
}

// editTargets applies edit to a copy of a rule and stores the result if
// the rule has not changed since it was read; it returns edit's per-target
// failures.
func (s *Service) editTargets(ctx context.Context, bus, rule string, edit func(next *Rule) ([]TargetFailure, error)) ([]TargetFailure, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	r, err := s.getRule(busOrDefault(bus), rule)
	if err != nil {
		return nil, err
	}
	next := r.copy()
	failed, err := edit(&next)
	if err != nil {
		return nil, err
	}
	if err := s.updateRule(ctx, next, r.rev); err != nil {
		return nil, err
	}
	return failed, nil
}

// ListTargetsByRule returns a rule's targets.
func (s *Service) ListTargetsByRule(ctx context.Context, bus, rule string) ([]Target, error) {
	r, err := s.DescribeRule(ctx, bus, rule)
	if err != nil {
		return nil, err
	}
	return r.Targets, nil
}

func validateTarget(t Target) error {
	if !targetIDRE.MatchString(t.Id) {
		return ferry.Errorf(ferry.EINVALID, "target id %q must be 1-64 characters of A-Z a-z 0-9 . - _", t.Id)
	}
	a, err := ferry.ParseARN(t.Arn)
	if err != nil {
		return err
	}
	switch a.Kind {
	case ferry.KindFunction, ferry.KindQueue, ferry.KindTopic, ferry.KindBus:
	default:
		return ferry.Errorf(ferry.EINVALID, "target %q: ARN kind %s is not a supported target (function, queue, topic, event bus)", t.Id, a.Kind)
	}
	n := 0
	if t.Input != "" {
		n++
		if !json.Valid([]byte(t.Input)) {
			return ferry.Errorf(ferry.EINVALIDJSON, "target %q: Input is not valid JSON", t.Id)
		}
	}
	if t.InputPath != "" {
		n++
		if _, err := parsePath(t.InputPath); err != nil {
			return ferry.Wrap(ferry.EINVALID, err, "target %q: InputPath", t.Id)
		}
	}
	if t.InputTransformer != nil {
		n++
		if t.InputTransformer.InputTemplate == "" {
			return ferry.Errorf(ferry.EINVALID, "target %q: InputTransformer needs an InputTemplate", t.Id)
		}
		if len(t.InputTransformer.InputPathsMap) > 100 {
			return ferry.Errorf(ferry.EINVALID, "target %q: InputPathsMap has %d entries; the limit is 100", t.Id, len(t.InputTransformer.InputPathsMap))
		}
		for k, p := range t.InputTransformer.InputPathsMap {
			if strings.HasPrefix(k, "aws.") {
				return ferry.Errorf(ferry.EINVALID, "target %q: InputPathsMap key %q: the aws. prefix is reserved", t.Id, k)
			}
			if _, err := parsePath(p); err != nil {
				return ferry.Wrap(ferry.EINVALID, err, "target %q: InputPathsMap %q", t.Id, k)
			}
		}
	}
	if n > 1 {
		return ferry.Errorf(ferry.EINVALID, "target %q: only one of Input, InputPath and InputTransformer may be set", t.Id)
	}
	return nil
}
