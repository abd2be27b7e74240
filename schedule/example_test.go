package schedule_test

import (
	"fmt"
	"time"

	"github.com/ferry-run/ferry/schedule"
)

func ExampleParseExpression() {
	// 09:00 UTC on the first Monday of every month.
	e, err := schedule.ParseExpression("cron(0 9 ? * MON#1 *)")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))

	_, err = schedule.ParseExpression("rate(1 minutes)")
	fmt.Println(err)
	_, err = schedule.ParseExpression("cron(0 12 * * * *)")
	fmt.Println(err)
	// Output:
	// 2026-01-05 09:00:00 +0000 UTC
	// schedule expression "rate(1 minutes)": rate unit must be singular for a value of 1 (rate(1 minute))
	// schedule expression "cron(0 12 * * * *)": one of Day-of-month ("*") and Day-of-week ("*") must be ?
}
