package eventsapi

import (
	"context"
	"encoding/json"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/bus"
)

// Schedules runs the rules that have a ScheduleExpression: each occurrence
// puts a Scheduled Event (source aws.events, detail-type "Scheduled
// Event", resources [rule ARN]) on the rule's bus, where the rule's own
// pattern matches it and sends it to the rule's targets.
type Schedules interface {
	// PutRuleSchedule stores or replaces the schedule of the rule ruleARN
	// on bus. Errors: EINVALID for a bad expression.
	PutRuleSchedule(ctx context.Context, ruleARN, bus, expression string, enabled bool) error
	// DeleteRuleSchedule removes it; a rule without one is no error.
	DeleteRuleSchedule(ctx context.Context, ruleARN string) error
}

// scheduledPattern matches the Scheduled Events of the rule ruleARN.
func scheduledPattern(ruleARN string) string {
	b, _ := json.Marshal(map[string][]string{
		"source": {"aws.events"}, "detail-type": {"Scheduled Event"}, "resources": {ruleARN},
	})
	return string(b)
}

func (a *API) putScheduledRule(ctx context.Context, req *putRuleRequest, tags map[string]string) (putRuleResponse, error) {
	if a.sched == nil {
		return putRuleResponse{}, ferry.Errorf(eUnsupported, "PutRule: ScheduleExpression needs Ferry's scheduler, which this server does not run")
	}
	if str(req.EventPattern) != "" {
		return putRuleResponse{}, ferry.Errorf(eUnsupported, "PutRule: a rule with both ScheduleExpression and EventPattern is not supported by Ferry; use two rules")
	}
	b, err := busNameOf(str(req.EventBusName))
	if err != nil {
		return putRuleResponse{}, err
	}
	if b != bus.DefaultBus {
		return putRuleResponse{}, ferry.Errorf(ferry.EINVALID, "ScheduleExpression is supported only on the default event bus.")
	}
	name, state := str(req.Name), str(req.State)
	if state == "" {
		state = bus.Enabled
	}
	if state != bus.Enabled && state != bus.Disabled {
		return putRuleResponse{}, ferry.Errorf(ferry.EINVALID, "rule state %q must be ENABLED or DISABLED", state)
	}
	ruleARN := a.realm.RuleARN(b, name)
	_, missing := a.buses.DescribeRule(ctx, b, name)
	if err := a.sched.PutRuleSchedule(ctx, ruleARN, b, *req.ScheduleExpression, state == bus.Enabled); err != nil {
		if ferry.ErrorCode(err) == ferry.EINVALID {
			return putRuleResponse{}, ferry.Errorf(ferry.EINVALID, "Parameter ScheduleExpression is not valid: %s", ferry.ErrorMessage(err))
		}
		return putRuleResponse{}, err
	}
	arn, err := a.buses.PutRule(ctx, bus.Rule{
		Bus: b, Name: name, EventPattern: scheduledPattern(ruleARN), ScheduleExpression: *req.ScheduleExpression,
		State: state, Description: str(req.Description),
	})
	if err != nil {
		if missing != nil {
			_ = a.sched.DeleteRuleSchedule(ctx, ruleARN)
		}
		return putRuleResponse{}, err
	}
	if missing != nil {
		if err := a.tagCreated(ctx, arn, tags); err != nil {
			return putRuleResponse{}, err
		}
	}
	return putRuleResponse{RuleArn: arn}, nil
}
