package ferry

import (
	"fmt"
	"strings"
)

// Resource kinds an ARN can name.
const (
	KindFunction = "function"
	KindQueue    = "queue"
	KindTopic    = "topic"
	KindBus      = "bus"
	KindBucket   = "bucket"
)

// ARN is a parsed Amazon Resource Name for the resources Ferry owns.
type ARN struct {
	Kind      string // KindFunction, KindQueue, ...
	Region    string
	Account   string
	Name      string
	Qualifier string // functions only: version or alias
}

// ParseARN parses the ARN of a function, queue, topic, event bus or bucket.
func ParseARN(s string) (ARN, error) {
	p := strings.SplitN(s, ":", 6)
	if len(p) < 6 || p[0] != "arn" {
		return ARN{}, Errorf(EINVALID, "invalid ARN %q", s)
	}
	a := ARN{Region: p[3], Account: p[4]}
	switch p[2] {
	case "lambda":
		r := strings.Split(p[5], ":")
		if r[0] != "function" || len(r) < 2 || len(r) > 3 || r[1] == "" {
			return ARN{}, Errorf(EINVALID, "invalid function ARN %q", s)
		}
		a.Kind, a.Name = KindFunction, r[1]
		if len(r) == 3 {
			a.Qualifier = r[2]
		}
	case "sqs":
		a.Kind, a.Name = KindQueue, p[5]
	case "sns":
		a.Kind, a.Name = KindTopic, p[5]
	case "events":
		name, ok := strings.CutPrefix(p[5], "event-bus/")
		if !ok {
			return ARN{}, Errorf(EINVALID, "invalid event bus ARN %q", s)
		}
		a.Kind, a.Name = KindBus, name
	case "s3":
		a.Kind, a.Name = KindBucket, p[5]
	default:
		return ARN{}, Errorf(EINVALID, "unsupported ARN service %q in %q", p[2], s)
	}
	if a.Name == "" {
		return ARN{}, Errorf(EINVALID, "ARN %q has no resource name", s)
	}
	if err := a.checkName(s); err != nil {
		return ARN{}, err
	}
	return a, nil
}

// checkName holds an ARN's resource name (and a function's qualifier) to
// AWS's limits for its kind, so a name that cannot exist is refused where
// the ARN is read rather than passed on to the engine.
func (a ARN) checkName(s string) error {
	if len(s) > MaxARN {
		return Errorf(EINVALID, "ARN %s is longer than %d characters", Shorten(s), MaxARN)
	}
	ok, rule := true, ""
	switch a.Kind {
	case KindFunction:
		ok, rule = ValidFunctionName(a.Name), "a function name is 1-64 letters, digits, '-' and '_'"
		if ok && a.Qualifier != "" && !ValidChars(a.Qualifier, 128, "$-_") {
			ok, rule = false, "a qualifier is 1-128 letters, digits, '$', '-' and '_'"
		}
	case KindQueue:
		ok, rule = ValidQueueName(a.Name), "a queue name is 1-80 letters, digits, '-' and '_', ending in .fifo for a FIFO queue"
	case KindTopic:
		ok, rule = ValidTopicName(a.Name), "a topic name is 1-256 letters, digits, '-' and '_', ending in .fifo for a FIFO topic"
	case KindBus:
		ok, rule = ValidBusName(a.Name), "an event bus name is 1-256 letters, digits and . - _ /"
	case KindBucket:
		ok, rule = ValidChars(a.Name, 63, ".-"), "a bucket name is 1-63 letters, digits, '.' and '-'"
	}
	if !ok {
		return Errorf(EINVALID, "ARN %s: %s", Shorten(s), rule)
	}
	return nil
}

// String formats the ARN.
func (a ARN) String() string {
	switch a.Kind {
	case KindFunction:
		s := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", a.Region, a.Account, a.Name)
		if a.Qualifier != "" {
			s += ":" + a.Qualifier
		}
		return s
	case KindQueue:
		return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", a.Region, a.Account, a.Name)
	case KindTopic:
		return fmt.Sprintf("arn:aws:sns:%s:%s:%s", a.Region, a.Account, a.Name)
	case KindBus:
		return fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", a.Region, a.Account, a.Name)
	case KindBucket:
		return "arn:aws:s3:::" + a.Name
	}
	return ""
}

// Realm is the region and account Ferry presents its resources under.
type Realm struct {
	Region  string
	Account string
}

// DefaultRealm is us-east-1 / 000000000000.
var DefaultRealm = Realm{Region: DefaultRegion, Account: DefaultAccount}

// FunctionARN returns the unqualified ARN of a function.
func (r Realm) FunctionARN(name string) string {
	return ARN{Kind: KindFunction, Region: r.Region, Account: r.Account, Name: name}.String()
}

// QueueARN returns the ARN of a queue.
func (r Realm) QueueARN(name string) string {
	return ARN{Kind: KindQueue, Region: r.Region, Account: r.Account, Name: name}.String()
}

// TopicARN returns the ARN of a topic.
func (r Realm) TopicARN(name string) string {
	return ARN{Kind: KindTopic, Region: r.Region, Account: r.Account, Name: name}.String()
}

// BusARN returns the ARN of an event bus.
func (r Realm) BusARN(name string) string {
	return ARN{Kind: KindBus, Region: r.Region, Account: r.Account, Name: name}.String()
}

// RuleARN returns the ARN of an event bus rule: rule/NAME on the default
// bus, rule/BUS/NAME on another.
func (r Realm) RuleARN(bus, name string) string {
	if bus == "" || bus == "default" {
		return "arn:aws:events:" + r.Region + ":" + r.Account + ":rule/" + name
	}
	return "arn:aws:events:" + r.Region + ":" + r.Account + ":rule/" + bus + "/" + name
}
