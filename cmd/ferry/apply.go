package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/bus"
	"github.com/ferry-run/ferry/gateway"
	"github.com/ferry-run/ferry/schedule"
	"github.com/ferry-run/ferry/stack"
	"github.com/ferry-run/ferry/trigger"
)

// Apply creates or updates every resource of st on the running server. It
// is idempotent: applying the same stack again after a restart changes
// nothing but the functions' modification time. API keys without a value
// get their stored (or a new) value in st.APIKeys.
func (m *Main) Apply(ctx context.Context, st *stack.Stack) error {
	// Queues that others dead-letter into come first.
	ordered := make([]stack.Queue, 0, len(st.Queues))
	for _, q := range st.Queues {
		if q.Attributes["RedrivePolicy"] == "" {
			ordered = append(ordered, q)
		}
	}
	for _, q := range st.Queues {
		if q.Attributes["RedrivePolicy"] != "" {
			ordered = append(ordered, q)
		}
	}
	for _, q := range ordered {
		if _, err := m.Queues.CreateQueue(ctx, q.Name, q.Attributes); err != nil {
			if ferry.ErrorCode(err) != ferry.ECONFLICT {
				return fmt.Errorf("queue %s: %w", q.Name, err)
			}
			if err := m.Queues.SetQueueAttributes(ctx, q.Name, q.Attributes); err != nil {
				return fmt.Errorf("queue %s: %w", q.Name, err)
			}
		}
	}
	for i := range st.Functions {
		fn := st.Functions[i].Function
		if err := m.Functions.PutFunction(ctx, &fn); err != nil {
			return fmt.Errorf("function %s: %w", fn.Name, err)
		}
	}
	for _, t := range st.Topics {
		attrs := map[string]string{}
		if t.DisplayName != "" {
			attrs["DisplayName"] = t.DisplayName
		}
		if _, err := m.Topics.CreateTopic(ctx, t.Name, attrs); err != nil {
			return fmt.Errorf("topic %s: %w", t.Name, err)
		}
	}
	for _, s := range st.Subscriptions {
		attrs := map[string]string{}
		if s.FilterPolicy != "" {
			attrs["FilterPolicy"] = s.FilterPolicy
		}
		if s.FilterPolicyScope != "" {
			attrs["FilterPolicyScope"] = s.FilterPolicyScope
		}
		if s.RawMessageDelivery {
			attrs["RawMessageDelivery"] = "true"
		}
		if s.RedrivePolicy != "" {
			attrs["RedrivePolicy"] = s.RedrivePolicy
		}
		if _, err := m.Topics.Subscribe(ctx, s.Topic, s.Protocol, s.Endpoint, attrs); err != nil {
			return fmt.Errorf("subscription of %s to %s: %w", s.Endpoint, s.Topic, err)
		}
	}
	for _, b := range st.Buses {
		if _, err := m.Buses.CreateBus(ctx, b.Name, ""); err != nil && ferry.ErrorCode(err) != ferry.ECONFLICT {
			return fmt.Errorf("event bus %s: %w", b.Name, err)
		}
	}
	for _, r := range st.Rules {
		if r.ScheduleExpression != "" {
			if err := m.applyScheduledRule(ctx, r); err != nil {
				return err
			}
			continue
		}
		state := "ENABLED"
		if !r.Enabled {
			state = "DISABLED"
		}
		if _, err := m.Buses.PutRule(ctx, bus.Rule{Bus: r.Bus, Name: r.Name, EventPattern: r.Pattern, State: state}); err != nil {
			return fmt.Errorf("rule %s: %w", r.Name, err)
		}
		targets := make([]bus.Target, 0, len(r.Targets))
		for _, t := range r.Targets {
			bt := bus.Target{Id: t.ID, Arn: t.Arn, Input: t.Input, InputPath: t.InputPath}
			if t.InputTransformer != nil {
				bt.InputTransformer = &bus.InputTransformer{InputPathsMap: t.InputTransformer.InputPathsMap, InputTemplate: t.InputTransformer.InputTemplate}
			}
			targets = append(targets, bt)
		}
		if failed, err := m.Buses.PutTargets(ctx, r.Bus, r.Name, targets); err != nil {
			return fmt.Errorf("rule %s targets: %w", r.Name, err)
		} else if len(failed) > 0 {
			return fmt.Errorf("rule %s target %s: %s", r.Name, failed[0].TargetId, failed[0].ErrorMessage)
		}
	}
	for _, tr := range st.Triggers {
		existing, err := m.Triggers.List(ctx, tr.Function, tr.Queue)
		if err != nil {
			return fmt.Errorf("trigger %s -> %s: %w", tr.Queue, tr.Function, err)
		}
		mp := trigger.Mapping{
			QueueARN: tr.Queue, Function: tr.Function, BatchSize: tr.BatchSize,
			MaximumBatchingWindow:   time.Duration(tr.MaximumBatchingWindow) * time.Second,
			ReportBatchItemFailures: tr.ReportBatchItemFailures, Enabled: tr.Enabled,
		}
		if len(existing) > 0 {
			mp.UUID, mp.Queue = existing[0].UUID, existing[0].Queue
			_, err = m.Triggers.Update(ctx, mp)
		} else {
			_, err = m.Triggers.Create(ctx, mp)
		}
		if err != nil {
			return fmt.Errorf("trigger %s -> %s: %w", tr.Queue, tr.Function, err)
		}
	}
	if err := m.fillAPIKeys(st); err != nil {
		return err
	}
	if err := m.applyRoutes(st.Routes, st.APIKeys); err != nil {
		return err
	}
	for _, sc := range st.Schedules {
		if err := m.Schedules.Put(ctx, schedule.Schedule{Name: sc.Name, Function: sc.Function,
			Expression: sc.Expression, Input: sc.Input, InputPath: sc.InputPath, Enabled: sc.Enabled}); err != nil {
			return fmt.Errorf("schedule %s: %w", sc.Name, err)
		}
	}
	return nil
}

// applyRoutes converts the stack's routes for the gateway.
func (m *Main) applyRoutes(routes []stack.Route, keys []stack.APIKey) error {
	out := make([]gateway.Route, 0, len(routes))
	for _, r := range routes {
		gr := gateway.Route{Kind: r.Kind, Method: r.Method, Path: r.Path, Function: r.Function, PayloadVersion: r.PayloadVersion, Stage: r.Stage}
		if c := r.CORS; c != nil {
			gr.CORS = &gateway.CORS{Origins: c.AllowOrigins, Headers: c.AllowHeaders, Methods: c.AllowMethods,
				ExposeHeaders: c.ExposeHeaders, AllowCredentials: c.AllowCredentials, MaxAge: c.MaxAge}
		}
		if p := r.Proxy; p != nil {
			gr.Proxy = &gateway.ServiceProxy{Kind: p.Kind, Target: p.Target, RequestTemplates: p.RequestTemplates,
				ResponseTemplate:    p.ResponseTemplates["success"],
				ClientErrorTemplate: p.ResponseTemplates["clientError"],
				ServerErrorTemplate: p.ResponseTemplates["serverError"],
				Responses:           integrationResponses(p.Responses)}
			for k := range p.ResponseTemplates {
				if k != "success" && k != "clientError" && k != "serverError" {
					return ferry.Errorf(ferry.EINVALID, "route %s %s: response template %q is not supported (success, clientError, serverError)", r.Method, r.Path, k)
				}
			}
		}
		if err := m.routeAuth(&gr, r, keys); err != nil {
			return err
		}
		out = append(out, gr)
	}
	if err := m.setRoutes(out); err != nil {
		return fmt.Errorf("routes: %w", err)
	}
	return nil
}

// applyScheduledRule runs a rule with a ScheduleExpression through the
// scheduler: each target, which must be a function on the default bus, is
// invoked on the schedule.
func (m *Main) applyScheduledRule(ctx context.Context, r stack.Rule) error {
	for _, t := range r.Targets {
		a, err := ferry.ParseARN(t.Arn)
		if err != nil || a.Kind != ferry.KindFunction || r.Bus != "default" {
			return ferry.Errorf(ferry.EINVALID, "rule %s target %s: Ferry runs scheduled rules on the default bus with function targets only", r.Name, t.ID)
		}
		if t.InputTransformer != nil {
			return ferry.Errorf(ferry.EINVALID, "rule %s target %s: InputTransformer is not supported on scheduled rules", r.Name, t.ID)
		}
		name := r.Name
		if len(r.Targets) > 1 {
			name = r.Name + "-" + t.ID
		}
		if err := m.Schedules.Put(ctx, schedule.Schedule{Name: name, Function: a.Name, Expression: r.ScheduleExpression,
			Input: t.Input, InputPath: t.InputPath, Enabled: r.Enabled, RuleARN: m.Config.Realm.RuleARN(r.Bus, r.Name)}); err != nil {
			return fmt.Errorf("rule %s: %w", r.Name, err)
		}
	}
	return nil
}

func integrationResponses(rs []stack.ProxyResponse) []gateway.IntegrationResponse {
	var out []gateway.IntegrationResponse
	for _, r := range rs {
		out = append(out, gateway.IntegrationResponse{StatusCode: r.StatusCode, SelectionPattern: r.SelectionPattern, Template: r.Template, Headers: r.Headers})
	}
	return out
}
