package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/schedule"
)

// ruleSchedules runs EventBridge rules with a ScheduleExpression on the
// schedule service: one schedule per rule, putting its Scheduled Events
// on the rule's bus.
type ruleSchedules struct{ s *schedule.Service }

// ruleScheduleName is the schedule of a rule ARN: a stable name that
// cannot collide with a stack's schedules (named after their rules).
func ruleScheduleName(ruleARN string) string {
	sum := sha256.Sum256([]byte(ruleARN))
	return "events-rule." + hex.EncodeToString(sum[:12])
}

func (r ruleSchedules) PutRuleSchedule(ctx context.Context, ruleARN, bus, expression string, enabled bool) error {
	return r.s.Put(ctx, schedule.Schedule{Name: ruleScheduleName(ruleARN), Bus: bus, Expression: expression,
		Enabled: enabled, RuleARN: ruleARN})
}

func (r ruleSchedules) DeleteRuleSchedule(ctx context.Context, ruleARN string) error {
	err := r.s.Delete(ctx, ruleScheduleName(ruleARN))
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		return nil
	}
	return err
}
