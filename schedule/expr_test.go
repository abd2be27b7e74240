package schedule_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/schedule"
)

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// 2026-01-01 is a Thursday.
const jan1 = "2026-01-01T00:00"

func TestNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr  string
		after string
		want  []string // successive occurrences; "" for none
	}{
		{"cron(0 10 * * ? *)", jan1, []string{"2026-01-01T10:00", "2026-01-02T10:00"}},
		{"cron(15 12 * * ? *)", jan1, []string{"2026-01-01T12:15", "2026-01-02T12:15"}},
		{"cron(0 18 ? * MON-FRI *)", jan1, []string{"2026-01-01T18:00", "2026-01-02T18:00", "2026-01-05T18:00"}},
		{"cron(0 8 1 * ? *)", jan1, []string{"2026-01-01T08:00", "2026-02-01T08:00"}},
		{"cron(0/15 * * * ? *)", jan1, []string{"2026-01-01T00:15", "2026-01-01T00:30", "2026-01-01T00:45", "2026-01-01T01:00"}},
		{"cron(1/10 * * * ? *)", jan1, []string{"2026-01-01T00:01", "2026-01-01T00:11"}},
		{"cron(*/20 * * * ? *)", "2026-01-01T00:45", []string{"2026-01-01T01:00", "2026-01-01T01:20"}},
		{"cron(0/5 8-17 ? * MON-FRI *)", jan1, []string{"2026-01-01T08:00", "2026-01-01T08:05"}},
		{"cron(0/5 8-17 ? * MON-FRI *)", "2026-01-02T17:55", []string{"2026-01-05T08:00"}},
		{"cron(5,35 */6 * * ? *)", jan1, []string{"2026-01-01T00:05", "2026-01-01T00:35", "2026-01-01T06:05"}},
		{"cron(0 0 1 1/3 ? *)", jan1, []string{"2026-04-01T00:00", "2026-07-01T00:00", "2026-10-01T00:00", "2027-01-01T00:00"}},
		{"cron(0 0 1 2-10/4 ? *)", jan1, []string{"2026-02-01T00:00", "2026-06-01T00:00", "2026-10-01T00:00", "2027-02-01T00:00"}},
		// first Monday of the month
		{"cron(0 9 ? * 2#1 *)", jan1, []string{"2026-01-05T09:00", "2026-02-02T09:00"}},
		{"cron(0 9 ? * MON#1 *)", jan1, []string{"2026-01-05T09:00"}},
		// fifth Thursday: January has one, February does not
		{"cron(0 0 ? * 5#5 *)", jan1, []string{"2026-01-29T00:00", "2026-04-30T00:00"}},
		// last day of the month
		{"cron(0 0 L * ? *)", jan1, []string{"2026-01-31T00:00", "2026-02-28T00:00", "2026-03-31T00:00"}},
		{"cron(0 0 L 2 ? 2028)", jan1, []string{"2028-02-29T00:00", ""}},
		// last Friday of the month
		{"cron(0 0 ? * 6L *)", jan1, []string{"2026-01-30T00:00", "2026-02-27T00:00"}},
		{"cron(0 0 ? * FRIL *)", jan1, []string{"2026-01-30T00:00"}},
		// L alone in Day-of-week: Saturday
		{"cron(0 0 ? * L *)", jan1, []string{"2026-01-03T00:00", "2026-01-10T00:00"}},
		// nearest weekday: Thu 15 Jan stays, Sun 15 Feb -> Mon 16
		{"cron(0 0 15W * ? *)", jan1, []string{"2026-01-15T00:00", "2026-02-16T00:00", "2026-03-16T00:00"}},
		// Sat 15 Aug -> Fri 14
		{"cron(0 0 15W 8 ? 2026)", jan1, []string{"2026-08-14T00:00", ""}},
		// Sat 1 Aug -> Mon 3 (does not leave the month); Sun 1 Feb -> Mon 2
		{"cron(0 0 1W 8 ? 2026)", jan1, []string{"2026-08-03T00:00", ""}},
		{"cron(0 0 1W 2 ? 2026)", jan1, []string{"2026-02-02T00:00", ""}},
		// Sun 31 May (last day) -> Fri 29; 31W never fires in 30-day months
		{"cron(0 0 31W * ? 2026)", "2026-04-01T00:00", []string{"2026-05-29T00:00", "2026-07-31T00:00"}},
		// last weekday: Sat 31 Jan -> Fri 30, Sat 28 Feb -> Fri 27, Sun 31 May -> Fri 29
		{"cron(0 0 LW * ? *)", jan1, []string{"2026-01-30T00:00", "2026-02-27T00:00", "2026-03-31T00:00", "2026-04-30T00:00", "2026-05-29T00:00"}},
		// names, in any case
		{"cron(30 6 ? JAN,JUL SUN *)", jan1, []string{"2026-01-04T06:30", "2026-01-11T06:30"}},
		{"cron(0 0 ? * mon *)", jan1, []string{"2026-01-05T00:00"}},
		{"cron(10 7/5 ? * Wed-Fri 2026)", jan1, []string{"2026-01-01T07:10", "2026-01-01T12:10", "2026-01-01T17:10", "2026-01-01T22:10", "2026-01-02T07:10"}},
		{"cron(0 11-23/4 ? * 2-6 *)", jan1, []string{"2026-01-01T11:00", "2026-01-01T15:00", "2026-01-01T19:00", "2026-01-01T23:00", "2026-01-02T11:00"}},
		{"cron(0 0 */31 * ? *)", jan1, []string{"2026-02-01T00:00"}},
		{"cron(0 0 1 jun ? *)", jan1, []string{"2026-06-01T00:00", "2027-06-01T00:00"}},
		// ranges that wrap
		{"cron(0 22-2 * * ? *)", "2026-01-01T03:00", []string{"2026-01-01T22:00", "2026-01-01T23:00", "2026-01-02T00:00", "2026-01-02T01:00", "2026-01-02T02:00", "2026-01-02T22:00"}},
		{"cron(0 12 ? * FRI-MON *)", jan1, []string{"2026-01-02T12:00", "2026-01-03T12:00", "2026-01-04T12:00", "2026-01-05T12:00", "2026-01-09T12:00"}},
		{"cron(0 0 1 NOV-FEB ? 2026)", jan1, []string{"2026-02-01T00:00", "2026-11-01T00:00", "2026-12-01T00:00", ""}},
		// year bounds
		{"cron(0 0 1 1 ? 2199)", jan1, []string{"2199-01-01T00:00", ""}},
		{"cron(59 23 31 12 ? 2199)", "2199-12-31T23:58", []string{"2199-12-31T23:59", ""}},
		{"cron(0 0 1 1 ? 1970-1971)", jan1, []string{""}},
		{"cron(0 0 1 1 ? 1970)", "1900-06-01T00:00", []string{"1970-01-01T00:00", ""}},
		{"cron(0 0 1 1 ? 2030,2027)", jan1, []string{"2027-01-01T00:00", "2030-01-01T00:00", ""}},
		{"cron(0 0 1 1 ? 2020/5)", jan1, []string{"2030-01-01T00:00", "2035-01-01T00:00"}},
		{"cron(* * * * ? *)", "2199-12-31T23:59", []string{""}},
		// days that never or rarely exist
		{"cron(0 0 30 2 ? *)", jan1, []string{""}},
		{"cron(0 0 29 2 ? *)", jan1, []string{"2028-02-29T00:00", "2032-02-29T00:00"}},
		// every minute, strictly after, seconds ignored
		{"cron(* * * * ? *)", jan1, []string{"2026-01-01T00:01", "2026-01-01T00:02"}},
		{"  cron(0   12 * * ? *)  ", jan1, []string{"2026-01-01T12:00"}},
	}
	for _, tt := range tests {
		e, err := schedule.ParseExpression(tt.expr)
		if err != nil {
			t.Errorf("ParseExpression(%q): %v", tt.expr, err)
			continue
		}
		at := utc(tt.after)
		for i, w := range tt.want {
			got := e.Next(at)
			if w == "" {
				if !got.IsZero() {
					t.Errorf("%s after %s: occurrence %d = %s, want none", tt.expr, tt.after, i+1, got)
				}
				break
			}
			if want := utc(w); !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("%s after %s: occurrence %d = %s, want %s", tt.expr, tt.after, i+1, got, want)
				break
			}
			at = got
		}
	}
}

func TestNextIgnoresSecondsAndZones(t *testing.T) {
	t.Parallel()
	e, err := schedule.ParseExpression("cron(30 12 * * ? *)")
	if err != nil {
		t.Fatal(err)
	}
	// 12:29:59.9 UTC expressed in UTC+2 -> 12:30 UTC the same day.
	after := time.Date(2026, 3, 29, 14, 29, 59, 900, time.FixedZone("CEST", 2*3600))
	if got, want := e.Next(after), utc("2026-03-29T12:30"); !got.Equal(want) {
		t.Errorf("Next = %s, want %s", got, want)
	}
	// exactly on an occurrence: the next one
	if got, want := e.Next(utc("2026-03-29T12:30")), utc("2026-03-30T12:30"); !got.Equal(want) {
		t.Errorf("Next = %s, want %s", got, want)
	}
}

func TestRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want time.Duration
	}{
		{"rate(1 minute)", time.Minute},
		{"rate(5 minutes)", 5 * time.Minute},
		{"rate(1 hour)", time.Hour},
		{"rate(12 hours)", 12 * time.Hour},
		{"rate(1 day)", 24 * time.Hour},
		{"rate(7 days)", 7 * 24 * time.Hour},
		{"rate( 10  minutes )", 10 * time.Minute},
	}
	at := utc(jan1)
	for _, tt := range tests {
		e, err := schedule.ParseExpression(tt.expr)
		if err != nil {
			t.Errorf("ParseExpression(%q): %v", tt.expr, err)
			continue
		}
		if !e.IsRate() || e.Interval() != tt.want {
			t.Errorf("%s: IsRate %v Interval %s, want rate %s", tt.expr, e.IsRate(), e.Interval(), tt.want)
		}
		if got := e.Next(at); !got.Equal(at.Add(tt.want)) {
			t.Errorf("%s: Next = %s, want %s", tt.expr, got, at.Add(tt.want))
		}
	}
}

func TestParseInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr, want string // want: a part of the message
	}{
		{"", "must be rate(value unit) or cron("},
		{"every 5 minutes", "must be rate(value unit) or cron("},
		{"cron(0 12 * * ? *", "must be rate(value unit) or cron("},
		{"rate(1 minutes)", "singular for a value of 1"},
		{"rate(1 hours)", "singular for a value of 1"},
		{"rate(5 minute)", "plural for a value above 1"},
		{"rate(2 day)", "plural for a value above 1"},
		{"rate(0 minutes)", "not a positive integer"},
		{"rate(-1 minutes)", "not a positive integer"},
		{"rate(+5 minutes)", "not a positive integer"},
		{"rate(1.5 hours)", "not a positive integer"},
		{"rate(5 seconds)", `unit "seconds"`},
		{"rate(5 Minutes)", `unit "Minutes"`},
		{"rate(5)", "two fields"},
		{"rate(5 minutes now)", "two fields"},
		{"rate(99999999999999999999 minutes)", "not a positive integer"},
		{"rate(100000 days)", "longer than 100 years"},
		{"cron(0 12 * *)", "6 fields"},
		{"cron(0 12 * * ? * *)", "6 fields"},
		{"cron(0 12 * * * *)", "must be ?"},
		{"cron(0 12 1 * MON *)", "must be ?"},
		{"cron(0 12 ? * ? *)", "can't both be ?"},
		{"cron(60 12 * * ? *)", `Minutes field "60": value 60 is out of range 0-59`},
		{"cron(0 24 * * ? *)", `Hours field "24": value 24 is out of range 0-23`},
		{"cron(0 0 32 * ? *)", `Day-of-month field "32": value 32 is out of range 1-31`},
		{"cron(0 0 0 * ? *)", `Day-of-month field "0": value 0 is out of range 1-31`},
		{"cron(0 0 * 13 ? *)", `Month field "13": value 13 is out of range 1-12`},
		{"cron(0 0 * FOO ? *)", `Month field "FOO": "FOO" is not a number from 1 to 12 or a name (JAN,FEB`},
		{"cron(0 0 ? * 8 *)", `Day-of-week field "8": value 8 is out of range 1-7`},
		{"cron(0 0 ? * 0 *)", `Day-of-week field "0": value 0 is out of range 1-7`},
		{"cron(0 0 ? * FUN *)", `Day-of-week field "FUN"`},
		{"cron(0 0 * * ? 1969)", `Year field "1969": value 1969 is out of range 1970-2199`},
		{"cron(0 0 * * ? 2200)", `Year field "2200": value 2200 is out of range 1970-2199`},
		{"cron(0 0 * * ? 2030-2020)", `Year field "2030-2020": range 2030-2020 runs backwards`},
		{"cron(0 0 ? * 3#6 *)", "the instance after # must be 1-5"},
		{"cron(0 0 ? * 3#0 *)", "the instance after # must be 1-5"},
		{"cron(0 0 ? * 3#1,6#3 *)", "# allows one expression only"},
		{"cron(0 0 ? * 9#1 *)", `Day-of-week field "9#1": value 9 is out of range 1-7`},
		{"cron(0 0 ? * MON/2 *)", "the / increment is not allowed in the Day-of-week field"},
		{"cron(0 0 ? * 2W *)", "W is only allowed in the Day-of-month field"},
		{"cron(0 0 ? * 1-3L *)", "L can't be combined"},
		{"cron(0 0 1#2 * ? *)", "# is only allowed in the Day-of-week field"},
		{"cron(0 0 1W,2 * ? *)", "L and W can't be combined"},
		{"cron(0 0 L-3 * ? *)", "L and W can't be combined"},
		{"cron(0 0 LX * ? *)", "L must stand alone"},
		{"cron(0 0 32W * ? *)", "value 32 is out of range 1-31"},
		{"cron(0 0 15W ? * *)", `Month field "?": ? is only allowed`},
		{"cron(0/0 * * * ? *)", `increment "0" must be a number from 1 to 59`},
		{"cron(*/60 * * * ? *)", `Minutes field "*/60": increment "60" must be a number from 1 to 59`},
		{"cron(0 */24 * * ? *)", `increment "24" must be a number from 1 to 23`},
		{"cron(0 0 1 */13 ? *)", `increment "13" must be a number from 1 to 12`},
		{"cron(0 0 1 1 ? */230)", `increment "230" must be a number from 1 to 229`},
		{"cron(0/x * * * ? *)", `increment "x"`},
		{"cron(1,,2 * * * ? *)", "empty list element"},
		{"cron(0 12 1 * 2 *)", "must be ?"},
		{"cron(15 12 ? * -1 *)", "missing value"},
		{"cron(1- * * * ? *)", "missing value"},
		{"cron(-1 * * * ? *)", "missing value"},
		{"cron(00000 * * * ? *)", `"00000" is not a number`},
	}
	for _, tt := range tests {
		_, err := schedule.ParseExpression(tt.expr)
		if err == nil {
			t.Errorf("ParseExpression(%q) = nil error, want %q", tt.expr, tt.want)
			continue
		}
		if ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("ParseExpression(%q): code %q, want %q", tt.expr, ferry.ErrorCode(err), ferry.EINVALID)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseExpression(%q) = %q, want it to contain %q", tt.expr, err, tt.want)
		}
	}
}

func FuzzParseExpression(f *testing.F) {
	for _, s := range []string{
		"rate(5 minutes)", "rate(1 day)", "cron(0 12 * * ? *)", "cron(0/5 8-17 ? * MON-FRI *)",
		"cron(0 0 L * ? *)", "cron(0 0 LW * ? *)", "cron(0 0 15W * ? *)", "cron(0 0 ? * 6L *)",
		"cron(0 9 ? * 2#1 *)", "cron(0 22-2 * * ? 2026-2030/2)", "cron(0 12 ? * FRI-MON *)",
		"cron(0 0 30 2 ? *)", "cron(* * * * ? 2199)",
	} {
		f.Add(s, int64(1767225600))
	}
	f.Fuzz(func(t *testing.T, expr string, unix int64) {
		e, err := schedule.ParseExpression(expr)
		if err != nil {
			if ferry.ErrorCode(err) != ferry.EINVALID {
				t.Fatalf("ParseExpression(%q): code %q, want invalid", expr, ferry.ErrorCode(err))
			}
			return
		}
		after := time.Unix(unix%(1<<36), 0) // about 1970 +/- 2000 years
		next := e.Next(after)
		if next.IsZero() {
			return
		}
		if !next.After(after) {
			t.Fatalf("%q: Next(%s) = %s, not after", expr, after, next)
		}
		if e.IsRate() {
			return
		}
		if next.Second() != 0 || next.Nanosecond() != 0 || next.Year() < 1970 || next.Year() > 2199 {
			t.Fatalf("%q: Next(%s) = %s, not a whole minute in 1970-2199", expr, after, next)
		}
		// Next is stable: no occurrence between after and next.
		if again := e.Next(next.Add(-time.Minute)); !again.Equal(next) {
			t.Fatalf("%q: Next(%s) = %s, but Next one minute earlier = %s", expr, after, next, again)
		}
	})
}
