package eventsapi

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/bus"
	"github.com/ferry-run/ferry/pattern"
)

// checkPattern compiles an event pattern so a bad one is answered with
// InvalidEventPatternException before it reaches the bus service.
func checkPattern(p string) error {
	if _, err := pattern.Compile([]byte(p)); err != nil {
		return ferry.Errorf(eBadPattern, "Event pattern is not valid. Reason: %s", ferry.ErrorMessage(err))
	}
	return nil
}

// ruleJSON is EventBridge's Rule shape (ListRules entries and DescribeRule).
type ruleJSON struct {
	Arn                string `json:"Arn"`
	Name               string `json:"Name"`
	EventBusName       string `json:"EventBusName"`
	EventPattern       string `json:"EventPattern,omitempty"`
	ScheduleExpression string `json:"ScheduleExpression,omitempty"`
	State              string `json:"State"`
	Description        string `json:"Description,omitempty"`
	ManagedBy          string `json:"ManagedBy,omitempty"`
	CreatedBy          string `json:"CreatedBy,omitempty"` // DescribeRule only
}

func toRuleJSON(r bus.Rule) ruleJSON {
	out := ruleJSON{Arn: r.Arn, Name: r.Name, EventBusName: r.Bus, EventPattern: r.EventPattern,
		ScheduleExpression: r.ScheduleExpression, State: r.State, Description: r.Description, ManagedBy: r.ManagedBy}
	if r.ScheduleExpression != "" {
		out.EventPattern = "" // the pattern only picks up the rule's own Scheduled Events
	}
	return out
}

type putRuleRequest struct {
	Name               *string
	Description        *string
	EventBusName       *string
	EventPattern       *string
	State              *string
	RoleArn            *string // accepted, no effect: Ferry has no IAM
	ScheduleExpression *string
	Tags               json.RawMessage
}

type putRuleResponse struct {
	RuleArn string `json:"RuleArn"`
}

func (a *API) putRule(ctx context.Context, req *putRuleRequest) (putRuleResponse, error) {
	tags, err := decodeTags(req.Tags)
	if err != nil {
		return putRuleResponse{}, err
	}
	if str(req.ScheduleExpression) != "" {
		return a.putScheduledRule(ctx, req, tags)
	}
	if str(req.EventPattern) == "" {
		return putRuleResponse{}, ferry.Errorf(ferry.EINVALID, "Parameter(s) EventPattern or ScheduleExpression must be specified")
	}
	if err := checkPattern(*req.EventPattern); err != nil {
		return putRuleResponse{}, err
	}
	b, err := busNameOf(str(req.EventBusName))
	if err != nil {
		return putRuleResponse{}, err
	}
	old, missing := a.buses.DescribeRule(ctx, b, str(req.Name))
	arn, err := a.buses.PutRule(ctx, bus.Rule{
		Bus: b, Name: str(req.Name), EventPattern: *req.EventPattern,
		State: str(req.State), Description: str(req.Description),
	})
	if err != nil {
		return putRuleResponse{}, err
	}
	if missing == nil && old.ScheduleExpression != "" && a.sched != nil {
		if err := a.sched.DeleteRuleSchedule(ctx, arn); err != nil {
			return putRuleResponse{}, err
		}
	}
	if missing != nil {
		// As on AWS, Tags apply to a rule PutRule creates; an update keeps the rule's tags.
		if err := a.tagCreated(ctx, arn, tags); err != nil {
			return putRuleResponse{}, err
		}
	}
	return putRuleResponse{RuleArn: arn}, nil
}

// ruleRef names a rule: DeleteRule, DescribeRule, EnableRule, DisableRule.
type ruleRef struct {
	Name         *string
	EventBusName *string
	// Force (DeleteRule) applies to managed rules; Ferry has none, so it
	// changes nothing.
	Force bool
}

func (a *API) resolveRule(req *ruleRef) (string, string, error) {
	b, err := busNameOf(str(req.EventBusName))
	if err != nil {
		return "", "", err
	}
	if str(req.Name) == "" {
		return "", "", ferry.Errorf(ferry.EINVALID, "Name is required")
	}
	return b, *req.Name, nil
}

func (a *API) deleteRule(ctx context.Context, req *ruleRef) (empty, error) {
	b, name, err := a.resolveRule(req)
	if err != nil {
		return empty{}, err
	}
	r, err := a.buses.DescribeRule(ctx, b, name)
	if ferry.ErrorCode(err) == ferry.ENOTFOUND && a.busExists(ctx, b) {
		return empty{}, nil // as on AWS, deleting a rule that does not exist succeeds
	}
	if err != nil {
		return empty{}, err
	}
	if r.ManagedBy != "" && !req.Force {
		return empty{}, ferry.Errorf(eManagedRule, "Cannot delete rule %s: it is managed by %s. Use Force to delete it.", name, r.ManagedBy)
	}
	if err := a.buses.DeleteRule(ctx, b, name); err != nil {
		return empty{}, err
	}
	if r.ScheduleExpression != "" && a.sched != nil {
		if err := a.sched.DeleteRuleSchedule(ctx, r.Arn); err != nil {
			return empty{}, err
		}
	}
	return empty{}, a.meta.Forget(ctx, r.Arn)
}

// busExists reports whether the bus named b exists.
func (a *API) busExists(ctx context.Context, b string) bool {
	_, err := a.describeEventBus(ctx, &busRef{Name: &b})
	return err == nil
}

func (a *API) describeRule(ctx context.Context, req *ruleRef) (ruleJSON, error) {
	b, name, err := a.resolveRule(req)
	if err != nil {
		return ruleJSON{}, err
	}
	r, err := a.buses.DescribeRule(ctx, b, name)
	if err != nil {
		return ruleJSON{}, err
	}
	out := toRuleJSON(r)
	out.CreatedBy = a.realm.Account
	return out, nil
}

func (a *API) enableRule(ctx context.Context, req *ruleRef) (empty, error) {
	return empty{}, a.setRuleState(ctx, req, bus.Enabled)
}

func (a *API) disableRule(ctx context.Context, req *ruleRef) (empty, error) {
	return empty{}, a.setRuleState(ctx, req, bus.Disabled)
}

// setRuleState rewrites a rule with a new state; PutRule keeps its targets.
func (a *API) setRuleState(ctx context.Context, req *ruleRef, state string) error {
	b, name, err := a.resolveRule(req)
	if err != nil {
		return err
	}
	r, err := a.buses.DescribeRule(ctx, b, name)
	if err != nil {
		return err
	}
	if r.State == state {
		return nil
	}
	r.State, r.Targets = state, nil
	if r.ScheduleExpression != "" && a.sched != nil {
		if err := a.sched.PutRuleSchedule(ctx, r.Arn, r.Bus, r.ScheduleExpression, state == bus.Enabled); err != nil {
			return err
		}
	}
	_, err = a.buses.PutRule(ctx, r)
	return err
}

type listRulesRequest struct {
	EventBusName *string
	NamePrefix   *string
	Limit        *int64
	NextToken    *string
}

type listRulesResponse struct {
	Rules     []ruleJSON `json:"Rules"`
	NextToken *string    `json:"NextToken,omitempty"`
}

func (a *API) listRules(ctx context.Context, req *listRulesRequest) (listRulesResponse, error) {
	b, err := busNameOf(str(req.EventBusName))
	if err != nil {
		return listRulesResponse{}, err
	}
	rules, err := a.buses.ListRules(ctx, b, str(req.NamePrefix))
	if err != nil {
		return listRulesResponse{}, err
	}
	pg, next, err := page(rules, func(r bus.Rule) string { return r.Name }, req.Limit, req.NextToken)
	if err != nil {
		return listRulesResponse{}, err
	}
	out := listRulesResponse{Rules: make([]ruleJSON, 0, len(pg)), NextToken: next}
	for _, r := range pg {
		out.Rules = append(out.Rules, toRuleJSON(r))
	}
	return out, nil
}

type listRuleNamesByTargetRequest struct {
	TargetArn    *string
	EventBusName *string
	Limit        *int64
	NextToken    *string
}

type listRuleNamesByTargetResponse struct {
	RuleNames []string `json:"RuleNames"`
	NextToken *string  `json:"NextToken,omitempty"`
}

func (a *API) listRuleNamesByTarget(ctx context.Context, req *listRuleNamesByTargetRequest) (listRuleNamesByTargetResponse, error) {
	target := str(req.TargetArn)
	if target == "" {
		return listRuleNamesByTargetResponse{}, ferry.Errorf(ferry.EINVALID, "TargetArn is required")
	}
	b, err := busNameOf(str(req.EventBusName))
	if err != nil {
		return listRuleNamesByTargetResponse{}, err
	}
	rules, err := a.buses.ListRules(ctx, b, "")
	if err != nil {
		return listRuleNamesByTargetResponse{}, err
	}
	var names []string
	for _, r := range rules {
		if slices.ContainsFunc(r.Targets, func(t bus.Target) bool { return t.Arn == target }) {
			names = append(names, r.Name)
		}
	}
	slices.SortFunc(names, strings.Compare)
	pg, next, err := page(names, func(s string) string { return s }, req.Limit, req.NextToken)
	if err != nil {
		return listRuleNamesByTargetResponse{}, err
	}
	return listRuleNamesByTargetResponse{RuleNames: append([]string{}, pg...), NextToken: next}, nil
}
