package eventsapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-run/ferry"
)

// epochTime is a JSON 1.1 timestamp: seconds since the epoch, fractional
// digits allowed.
type epochTime struct{ time.Time }

func (t *epochTime) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(b)), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
		return ferry.Errorf(eSerialization, "timestamp %s is not a number of seconds since the epoch", b)
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC()
	return nil
}

func (t epochTime) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1e3, 'f', -1, 64)), nil
}

// epoch returns t as a wire timestamp, nil for the zero time.
func epoch(t time.Time) *epochTime {
	if t.IsZero() {
		return nil
	}
	return &epochTime{t}
}

// timeOf returns the time of a wire timestamp, zero for nil.
func timeOf(t *epochTime) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

// unsupported refuses, by name, a request member Ferry cannot honour when it
// is set. A JSON null, an empty list and an empty object count as unset.
type unsupported map[string]json.RawMessage

// check returns an eUnsupported error naming the first member set.
func (u unsupported) check(what string) error {
	names := make([]string, 0, len(u))
	for n := range u {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		v := bytes.TrimSpace(u[n])
		if len(v) == 0 || string(v) == "null" || emptyJSON(v) {
			continue
		}
		return ferry.Errorf(eUnsupported, "%s: %s is not supported by Ferry", what, n)
	}
	return nil
}

// emptyJSON reports whether v is [] or {} (with any inner whitespace).
func emptyJSON(v []byte) bool {
	if len(v) < 2 || (v[0] != '[' && v[0] != '{') {
		return false
	}
	return len(bytes.TrimSpace(v[1:len(v)-1])) == 0
}

// str returns *p, "" for nil.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// busNameOf returns the bus name of an EventBusName member (a name or an
// event bus ARN); "" is the default bus.
func busNameOf(nameOrARN string) (string, error) {
	if nameOrARN == "" {
		return "default", nil
	}
	if !strings.HasPrefix(nameOrARN, "arn:") {
		return nameOrARN, nil
	}
	a, err := ferry.ParseARN(nameOrARN)
	if err != nil {
		return "", err
	}
	if a.Kind != ferry.KindBus {
		return "", ferry.Errorf(ferry.EINVALID, "%q is not an event bus ARN", nameOrARN)
	}
	return a.Name, nil
}

// resourceName returns NAME from an EventBridge ARN
// "arn:<partition>:events:<region>:<account>:<kind>/NAME".
func resourceName(arn, kind string) (string, error) {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[2] != "events" {
		return "", ferry.Errorf(ferry.EINVALID, "%q is not an EventBridge %s ARN", arn, kind)
	}
	name, ok := strings.CutPrefix(p[5], kind+"/")
	if !ok || name == "" {
		return "", ferry.Errorf(ferry.EINVALID, "%q is not an EventBridge %s ARN", arn, kind)
	}
	return name, nil
}

// archiveARN and replayARN are the ARNs the bus service gives archives and
// replays.
func (a *API) archiveARN(name string) string {
	return "arn:aws:events:" + a.realm.Region + ":" + a.realm.Account + ":archive/" + name
}

// Paging limits: EventBridge's Limit is 1-100.
const (
	maxLimit     = 100
	defaultLimit = 100
)

// page returns the items (sorted by key) that follow NextToken, at most
// limit of them, and the token of the next page ("" when none is left). The
// token is the opaque key of the next item, so pages stay stable while
// items before it come and go.
func page[T any](items []T, key func(T) string, limit *int64, token *string) ([]T, *string, error) {
	n := defaultLimit
	if limit != nil {
		if *limit < 1 || *limit > maxLimit {
			return nil, nil, ferry.Errorf(ferry.EINVALID, "Limit %d must be 1 to %d", *limit, maxLimit)
		}
		n = int(*limit)
	}
	start := 0
	if t := str(token); t != "" {
		k, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil || len(k) == 0 {
			return nil, nil, ferry.Errorf(ferry.EINVALID, "NextToken %q is not valid", t)
		}
		start, _ = slices.BinarySearchFunc(items, string(k), func(it T, k string) int { return strings.Compare(key(it), k) })
	}
	end := min(start+n, len(items))
	var next *string
	if end < len(items) {
		s := base64.RawURLEncoding.EncodeToString([]byte(key(items[end])))
		next = &s
	}
	return items[start:end], next, nil
}
