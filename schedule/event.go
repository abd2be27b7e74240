package schedule

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
)

// Event is the EventBridge Scheduled Event a function receives.
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
}

func scheduledEvent(realm ferry.Realm, id, ruleARN string, at time.Time) Event {
	return Event{
		Version: "0", ID: id, DetailType: "Scheduled Event", Source: "aws.events",
		Account: realm.Account, Time: at.UTC().Format("2006-01-02T15:04:05Z"), Region: realm.Region,
		Resources: []string{ruleARN}, Detail: json.RawMessage("{}"),
	}
}

// idSpace is the namespace of occurrence ids.
var idSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://ferry.run/schedule"))

// requestID is the id of one occurrence: the same on every node, so the
// async engine's deduplication keeps one event per occurrence. It is also
// the Scheduled Event's id.
func requestID(name string, at time.Time) string {
	return uuid.NewSHA1(idSpace, []byte(name+"\n"+at.UTC().Format(time.RFC3339Nano))).String()
}

// payload is what the function receives for the occurrence at.
func (r record) payload(realm ferry.Realm, id string, at time.Time) (json.RawMessage, error) {
	if r.Input != "" {
		return json.RawMessage(r.Input), nil
	}
	ev, err := json.Marshal(scheduledEvent(realm, id, r.RuleARN, at))
	if err != nil {
		return nil, err
	}
	if r.InputPath == "" || r.InputPath == "$" {
		return ev, nil
	}
	return selectPath(ev, r.InputPath)
}

// selectPath returns the part of doc that a JSONPath of names and indexes
// ($.detail, $.resources[0]) selects.
func selectPath(doc []byte, path string) (json.RawMessage, error) {
	rest, ok := strings.CutPrefix(path, "$")
	if !ok {
		return nil, fmt.Errorf("%q must start with $", path)
	}
	cur := json.RawMessage(doc)
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, "."):
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			name := rest[:end]
			rest = rest[end:]
			if name == "" {
				return nil, fmt.Errorf("%q has an empty name", path)
			}
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(cur, &obj); err != nil || obj == nil {
				return nil, fmt.Errorf("%q: %s is not an object", path, name)
			}
			v, ok := obj[name]
			if !ok {
				return nil, fmt.Errorf("%q matches nothing in the Scheduled Event", path)
			}
			cur = v
		case strings.HasPrefix(rest, "["):
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("%q has an unclosed [", path)
			}
			i, err := strconv.Atoi(rest[1:end])
			if err != nil || i < 0 {
				return nil, fmt.Errorf("%q: index %q is not a number", path, rest[1:end])
			}
			rest = rest[end+1:]
			var arr []json.RawMessage
			if err := json.Unmarshal(cur, &arr); err != nil {
				return nil, fmt.Errorf("%q: [%d] applies to something that is not a list", path, i)
			}
			if i >= len(arr) {
				return nil, fmt.Errorf("%q matches nothing in the Scheduled Event", path)
			}
			cur = arr[i]
		default:
			return nil, fmt.Errorf("%q: expected . or [ at %q", path, rest)
		}
	}
	return bytes.TrimSpace(cur), nil
}
