package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-run/ferry"
)

// Expression is a parsed schedule expression: rate(value unit) or
// cron(Minutes Hours Day-of-month Month Day-of-week Year), evaluated in UTC.
type Expression struct {
	src  string
	rate time.Duration // > 0 for a rate expression
	cron *cronSpec
}

// String returns the expression as written (without surrounding space).
func (e Expression) String() string { return e.src }

// IsRate reports whether e is a rate expression.
func (e Expression) IsRate() bool { return e.rate > 0 }

// Interval returns the period of a rate expression, 0 for cron.
func (e Expression) Interval() time.Duration { return e.rate }

// Next returns the first occurrence strictly after after, in UTC. For a rate
// expression that is after plus the interval (a rate counts from when its
// rule was created; the service anchors it there). For cron it is the next
// matching minute; the zero time means the expression has no occurrence
// after after (its years are over, or its day never exists, like 30 FEB).
func (e Expression) Next(after time.Time) time.Time {
	if e.rate > 0 {
		return after.UTC().Add(e.rate)
	}
	if e.cron == nil {
		return time.Time{}
	}
	return e.cron.next(after.UTC())
}

// Rate units as AWS spells them; the singular is required for a value of 1
// and the plural for any other value.
var rateUnits = map[string]struct {
	d      time.Duration
	plural bool
}{
	"minute": {time.Minute, false}, "minutes": {time.Minute, true},
	"hour": {time.Hour, false}, "hours": {time.Hour, true},
	"day": {24 * time.Hour, false}, "days": {24 * time.Hour, true},
}

// maxRate keeps rate intervals well inside time.Duration (about 100 years).
const maxRate = 100 * 366 * 24 * time.Hour

// ParseExpression parses a rate(...) or cron(...) schedule expression.
// Errors are EINVALID and name the field and the problem.
func ParseExpression(expr string) (Expression, error) {
	s := strings.TrimSpace(expr)
	switch {
	case strings.HasPrefix(s, "rate(") && strings.HasSuffix(s, ")"):
		d, err := parseRate(s[5 : len(s)-1])
		if err != nil {
			return Expression{}, exprErr(expr, err.Error())
		}
		return Expression{src: s, rate: d}, nil
	case strings.HasPrefix(s, "cron(") && strings.HasSuffix(s, ")"):
		c, err := parseCron(s[5 : len(s)-1])
		if err != nil {
			return Expression{}, exprErr(expr, err.Error())
		}
		return Expression{src: s, cron: c}, nil
	}
	return Expression{}, exprErr(expr, "must be rate(value unit) or cron(Minutes Hours Day-of-month Month Day-of-week Year)")
}

func exprErr(expr, problem string) error {
	return ferry.Errorf(ferry.EINVALID, "schedule expression %q: %s", expr, problem)
}

func parseRate(body string) (time.Duration, error) {
	f := strings.Fields(body)
	if len(f) != 2 {
		return 0, problemf("rate needs two fields, value and unit, got %d", len(f))
	}
	v, unit := f[0], f[1]
	for _, r := range v {
		if r < '0' || r > '9' {
			return 0, problemf("rate value %q is not a positive integer", v)
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, problemf("rate value %q is not a positive integer", v)
	}
	u, ok := rateUnits[unit]
	if !ok {
		return 0, problemf("rate unit %q is not minute, minutes, hour, hours, day or days", unit)
	}
	if n == 1 && u.plural {
		return 0, problemf("rate unit must be singular for a value of 1 (rate(1 %s))", strings.TrimSuffix(unit, "s"))
	}
	if n > 1 && !u.plural {
		return 0, problemf("rate unit must be plural for a value above 1 (rate(%d %ss))", n, unit)
	}
	if n > int64(maxRate/u.d) {
		return 0, problemf("rate value %d %s is longer than 100 years", n, unit)
	}
	return time.Duration(n) * u.d, nil
}

// problemf describes a parse problem; ParseExpression adds the expression.
func problemf(format string, args ...any) error { return fmt.Errorf(format, args...) }
