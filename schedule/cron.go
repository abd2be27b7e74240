package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cronSpec is a parsed cron(...) body: six fields, AWS (Quartz-derived)
// syntax, UTC.
type cronSpec struct {
	minute, hour, month, year set
	dom                       domSpec
	dow                       dowSpec
}

// domSpec is the Day-of-month field.
type domSpec struct {
	any         bool // ?
	set         set  // values 1-31
	last        bool // L
	lastWeekday bool // LW
	nearest     int  // nW: the weekday nearest day n, 0 when unused
}

// dowSpec is the Day-of-week field (1-7 = SUN-SAT).
type dowSpec struct {
	any        bool // ?
	set        set  // values 1-7
	lastOf     int  // nL: the last day n of the month, 0 when unused
	nth, nthOf int  // n#k: the k-th (nthOf) day n (nth) of the month
}

// set is a bit set of a field's values, offset by the field's minimum.
type set [4]uint64

func (s *set) add(i int)     { s[i/64] |= 1 << (i % 64) }
func (s set) has(i int) bool { return i >= 0 && i < 256 && s[i/64]&(1<<(i%64)) != 0 }

// field describes one cron field.
type field struct {
	name     string
	min, max int
	names    map[string]int
	cyclic   bool // ranges may wrap around (22-2)
}

var (
	fMinute = field{name: "Minutes", min: 0, max: 59, cyclic: true}
	fHour   = field{name: "Hours", min: 0, max: 23, cyclic: true}
	fDom    = field{name: "Day-of-month", min: 1, max: 31, cyclic: true}
	fMonth  = field{name: "Month", min: 1, max: 12, cyclic: true, names: map[string]int{
		"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
		"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
	}}
	fDow = field{name: "Day-of-week", min: 1, max: 7, cyclic: true, names: map[string]int{
		"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7,
	}}
	fYear = field{name: "Year", min: 1970, max: 2199}
)

// errf names the field and its text in a parse problem.
func (f field) errf(text, format string, args ...any) error {
	return fmt.Errorf("%s field %q: %s", f.name, text, fmt.Sprintf(format, args...))
}

func parseCron(body string) (*cronSpec, error) {
	fs := strings.Fields(body)
	if len(fs) != 6 {
		return nil, problemf("cron needs 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), got %d", len(fs))
	}
	c := &cronSpec{}
	var err error
	if c.minute, err = fMinute.parseList(fs[0], true); err != nil {
		return nil, err
	}
	if c.hour, err = fHour.parseList(fs[1], true); err != nil {
		return nil, err
	}
	if c.month, err = fMonth.parseList(fs[3], true); err != nil {
		return nil, err
	}
	if c.year, err = fYear.parseList(fs[5], true); err != nil {
		return nil, err
	}
	domQ, dowQ := fs[2] == "?", fs[4] == "?"
	switch {
	case domQ && dowQ:
		return nil, problemf("Day-of-month and Day-of-week can't both be ?; use ? in exactly one of them")
	case !domQ && !dowQ:
		return nil, problemf("one of Day-of-month (%q) and Day-of-week (%q) must be ?", fs[2], fs[4])
	}
	if c.dom, err = parseDom(fs[2]); err != nil {
		return nil, err
	}
	if c.dow, err = parseDow(fs[4]); err != nil {
		return nil, err
	}
	return c, nil
}

func parseDom(s string) (domSpec, error) {
	switch {
	case s == "?":
		return domSpec{any: true}, nil
	case s == "L":
		return domSpec{last: true}, nil
	case s == "LW":
		return domSpec{lastWeekday: true}, nil
	case strings.ContainsAny(s, "LW"):
		if strings.ContainsAny(s, ",-/*") {
			return domSpec{}, fDom.errf(s, "L and W can't be combined with lists, ranges or increments")
		}
		if n, ok := strings.CutSuffix(s, "W"); ok {
			v, err := fDom.value(s, n)
			if err != nil {
				return domSpec{}, err
			}
			return domSpec{nearest: v}, nil
		}
		return domSpec{}, fDom.errf(s, "L must stand alone (L, or LW for the last weekday)")
	case strings.ContainsRune(s, '#'):
		return domSpec{}, fDom.errf(s, "# is only allowed in the Day-of-week field")
	}
	st, err := fDom.parseList(s, true)
	return domSpec{set: st}, err
}

func parseDow(s string) (dowSpec, error) {
	switch {
	case s == "?":
		return dowSpec{any: true}, nil
	case s == "L":
		return dowSpec{set: fDow.single(7)}, nil
	case strings.ContainsRune(s, '#'):
		if strings.ContainsAny(s, ",-/*L") {
			return dowSpec{}, fDow.errf(s, "# allows one expression only (like 3#2), without lists, ranges, increments or L")
		}
		d, k, _ := strings.Cut(s, "#")
		day, err := fDow.value(s, d)
		if err != nil {
			return dowSpec{}, err
		}
		n, err := strconv.Atoi(k)
		if err != nil || n < 1 || n > 5 || !digits(k) {
			return dowSpec{}, fDow.errf(s, "the instance after # must be 1-5, got %q", k)
		}
		return dowSpec{nth: day, nthOf: n}, nil
	case strings.HasSuffix(s, "L") && len(s) > 1:
		if strings.ContainsAny(s, ",-/*") {
			return dowSpec{}, fDow.errf(s, "L can't be combined with lists, ranges or increments")
		}
		day, err := fDow.value(s, s[:len(s)-1])
		if err != nil {
			return dowSpec{}, err
		}
		return dowSpec{lastOf: day}, nil
	case strings.ContainsRune(strings.ReplaceAll(strings.ToUpper(s), "WED", ""), 'W'):
		return dowSpec{}, fDow.errf(s, "W is only allowed in the Day-of-month field")
	case strings.ContainsRune(s, '/'):
		return dowSpec{}, fDow.errf(s, "the / increment is not allowed in the Day-of-week field")
	}
	st, err := fDow.parseList(s, false)
	return dowSpec{set: st}, err
}

func (f field) single(v int) set {
	var s set
	s.add(v - f.min)
	return s
}

// parseList parses a comma-separated list of *, values, ranges and
// increments (start/step, range/step, */step).
func (f field) parseList(s string, allowStep bool) (set, error) {
	var out set
	if s == "?" {
		return out, f.errf(s, "? is only allowed in the Day-of-month and Day-of-week fields")
	}
	for _, item := range strings.Split(s, ",") {
		if item == "" {
			return out, f.errf(s, "empty list element")
		}
		base, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			if !allowStep {
				return out, f.errf(s, "the / increment is not allowed in the %s field", f.name)
			}
			// As on AWS, an increment can't reach a whole cycle
			// (cron(*/60 * * * ? *) is refused).
			n, err := strconv.Atoi(stepText)
			most := f.max
			if f.min > 1 {
				most = f.max - f.min
			}
			if err != nil || !digits(stepText) || n < 1 || n > most {
				return out, f.errf(s, "increment %q must be a number from 1 to %d", stepText, most)
			}
			step = n
		}
		lo, hi := f.min, f.max
		switch {
		case base == "*":
		case strings.Contains(base, "-"):
			a, b, _ := strings.Cut(base, "-")
			var err error
			if lo, err = f.value(s, a); err != nil {
				return out, err
			}
			if hi, err = f.value(s, b); err != nil {
				return out, err
			}
			if lo > hi && !f.cyclic {
				return out, f.errf(s, "range %s runs backwards", base)
			}
		default:
			v, err := f.value(s, base)
			if err != nil {
				return out, err
			}
			lo = v
			if !hasStep {
				hi = v
			}
		}
		span := f.max - f.min + 1
		n := hi - lo
		if n < 0 { // a cyclic range that wraps past the maximum
			n += span
		}
		for i := 0; i <= n; i += step {
			v := lo + i
			if v > f.max {
				v -= span
			}
			out.add(v - f.min)
		}
	}
	return out, nil
}

// value parses one number or name of the field.
func (f field) value(text, v string) (int, error) {
	if n, ok := f.names[strings.ToUpper(v)]; ok {
		return n, nil
	}
	if v == "" {
		return 0, f.errf(text, "missing value")
	}
	if !digits(v) || len(v) > 4 {
		if f.names != nil {
			return 0, f.errf(text, "%q is not a number from %d to %d or a name (%s)", v, f.min, f.max, f.nameList())
		}
		return 0, f.errf(text, "%q is not a number from %d to %d", v, f.min, f.max)
	}
	n, _ := strconv.Atoi(v)
	if n < f.min || n > f.max {
		return 0, f.errf(text, "value %d is out of range %d-%d", n, f.min, f.max)
	}
	return n, nil
}

func (f field) nameList() string {
	names := make([]string, f.max-f.min+1)
	for k, v := range f.names {
		names[v-f.min] = k
	}
	return strings.Join(names, ",")
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// next returns the first matching minute strictly after t (UTC), or the
// zero time when there is none before the end of 2199.
func (c *cronSpec) next(after time.Time) time.Time {
	if after.Year() < fYear.min-1 {
		after = time.Date(fYear.min-1, 12, 31, 23, 59, 0, 0, time.UTC)
	}
	t := after.Truncate(time.Minute).Add(time.Minute)
	for t.Year() <= fYear.max {
		y, m, d := t.Date()
		switch {
		case !c.year.has(y - fYear.min):
			t = time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
		case !c.month.has(int(m) - fMonth.min):
			t = time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
		case !c.dayMatches(y, m, d, t.Weekday()):
			t = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
		case !c.hour.has(t.Hour()):
			t = time.Date(y, m, d, t.Hour()+1, 0, 0, 0, time.UTC)
		case !c.minute.has(t.Minute()):
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

func (c *cronSpec) dayMatches(y int, m time.Month, d int, wd time.Weekday) bool {
	days := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	dow := int(wd) + 1 // 1 = SUN
	if c.dow.any {
		switch {
		case c.dom.last:
			return d == days
		case c.dom.lastWeekday:
			return d == nearestWeekday(y, m, days, days)
		case c.dom.nearest > 0:
			return c.dom.nearest <= days && d == nearestWeekday(y, m, c.dom.nearest, days)
		}
		return c.dom.set.has(d - fDom.min)
	}
	switch {
	case c.dow.lastOf > 0:
		return dow == c.dow.lastOf && d+7 > days
	case c.dow.nth > 0:
		return dow == c.dow.nth && (d-1)/7+1 == c.dow.nthOf
	}
	return c.dow.set.has(dow - fDow.min)
}

// nearestWeekday returns the weekday (MON-FRI) nearest day n of the month,
// without leaving the month: a Saturday moves to Friday (or to Monday the
// 3rd when n is the 1st), a Sunday to Monday (or to Friday when n is the
// month's last day).
func nearestWeekday(y int, m time.Month, n, days int) int {
	switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == days {
			return n - 2
		}
		return n + 1
	}
	return n
}
