package eventsapi

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ferry-run/ferry"
)

// names are the members of every operation that name a bus, rule, target,
// archive or replay. Each is checked against EventBridge's limits before the
// operation runs, so no name that cannot exist reaches the bus service.
type names struct {
	Name         *string `json:"Name"`
	EventBusName *string `json:"EventBusName"`
	Rule         *string `json:"Rule"`
	ArchiveName  *string `json:"ArchiveName"`
	ReplayName   *string `json:"ReplayName"`
	NamePrefix   *string `json:"NamePrefix"`
	Ids          []any   `json:"Ids"`
	Targets      []struct {
		ID any `json:"Id"`
	} `json:"Targets"`
	Entries []struct {
		EventBusName *string `json:"EventBusName"`
	} `json:"Entries"`
}

// busNameOps are the operations whose Name is a bus's (DescribeEventBus
// also takes an ARN); in the others Name is a rule's.
var busNameOps = map[string]bool{"CreateEventBus": true, "DeleteEventBus": true}

// checkNames answers ValidationException, naming the member, for a name
// outside EventBridge's documented length and pattern. A body that does not
// decode is left to the operation's own decoding.
func checkNames(op string, body []byte) error {
	var n names
	if len(strings.TrimSpace(string(body))) == 0 || json.Unmarshal(body, &n) != nil {
		return nil
	}
	if n.Name != nil {
		if op == "DescribeEventBus" {
			if err := checkBusNameOrARN("Name", *n.Name); err != nil {
				return err
			}
		} else if busNameOps[op] {
			if !ferry.ValidBusName(*n.Name) {
				return badName("Name", *n.Name, ferry.MaxBusName, `[/\.\-_A-Za-z0-9]+`)
			}
		} else if !ferry.ValidRuleName(*n.Name) {
			return badName("Name", *n.Name, ferry.MaxRuleName, `[\.\-_A-Za-z0-9]+`)
		}
	}
	if n.EventBusName != nil && *n.EventBusName != "" {
		if err := checkBusNameOrARN("EventBusName", *n.EventBusName); err != nil {
			return err
		}
	}
	for i, e := range n.Entries {
		if e.EventBusName != nil && *e.EventBusName != "" {
			if err := checkBusNameOrARN("Entries."+strconv.Itoa(i+1)+".member.EventBusName", *e.EventBusName); err != nil {
				return err
			}
		}
	}
	if n.Rule != nil && !ferry.ValidRuleName(*n.Rule) {
		return badName("Rule", *n.Rule, ferry.MaxRuleName, `[\.\-_A-Za-z0-9]+`)
	}
	if n.ArchiveName != nil && !ferry.ValidChars(*n.ArchiveName, ferry.MaxArchiveName, ".-_") {
		return badName("ArchiveName", *n.ArchiveName, ferry.MaxArchiveName, `[\.\-_A-Za-z0-9]+`)
	}
	if n.ReplayName != nil && !ferry.ValidRuleName(*n.ReplayName) {
		return badName("ReplayName", *n.ReplayName, ferry.MaxRuleName, `[\.\-_A-Za-z0-9]+`)
	}
	if n.NamePrefix != nil && *n.NamePrefix != "" && !ferry.ValidBusName(*n.NamePrefix) {
		return badName("NamePrefix", *n.NamePrefix, ferry.MaxBusName, `[/\.\-_A-Za-z0-9]+`)
	}
	for _, id := range n.Ids {
		if s, ok := id.(string); ok && !ferry.ValidRuleName(s) {
			return badName("Ids", s, ferry.MaxRuleName, `[\.\-_A-Za-z0-9]+`)
		}
	}
	for _, t := range n.Targets {
		if s, ok := t.ID.(string); ok && !ferry.ValidRuleName(s) {
			return badName("Targets.Id", s, ferry.MaxRuleName, `[\.\-_A-Za-z0-9]+`)
		}
	}
	return nil
}

// checkBusNameOrARN checks a bus given by name or by ARN: at most 1600
// characters, the name part a valid bus name.
func checkBusNameOrARN(member, s string) error {
	name := s
	if strings.HasPrefix(s, "arn:") {
		if len(s) > ferry.MaxBusNameOrARN {
			return badName(member, s, ferry.MaxBusNameOrARN, `(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/\.\-_A-Za-z0-9]+`)
		}
		_, name, _ = strings.Cut(s, ":event-bus/")
	}
	if !ferry.ValidBusName(name) {
		return badName(member, s, ferry.MaxBusName, `(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/\.\-_A-Za-z0-9]+`)
	}
	return nil
}

func badName(member, v string, max int, pattern string) error {
	return ferry.Errorf(ferry.EINVALID,
		"1 validation error detected: Value %s at '%s' failed to satisfy constraint: Member must have length between 1 and %d and satisfy regular expression pattern: %s",
		ferry.Shorten(v), member, max, pattern)
}
