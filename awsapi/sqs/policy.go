package sqsapi

import (
	"context"
	"encoding/json"
	"maps"
	"slices"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/queue"
)

// attrPolicy is the queue attribute holding the queue's access policy. The
// queue service does not know it: the API keeps it in ResourceMeta, stored
// and returned exactly, and does not enforce it.
const attrPolicy = "Policy"

// splitPolicy takes the Policy attribute out of attrs, checking that it is
// a JSON object (or empty, which removes the policy).
func splitPolicy(attrs map[string]string) (rest map[string]string, policy string, set bool, err error) {
	policy, set = attrs[attrPolicy]
	if !set {
		return attrs, "", false, nil
	}
	if policy != "" {
		var doc map[string]any
		if json.Unmarshal([]byte(policy), &doc) != nil {
			return nil, "", false, fail(errInvalidAttrValue, "Invalid value for the parameter Policy: the policy is not a JSON object")
		}
	}
	rest = maps.Clone(attrs)
	delete(rest, attrPolicy)
	return rest, policy, true, nil
}

// wantsPolicy reports whether GetQueueAttributes asked for the Policy.
func wantsPolicy(names []string) bool {
	return slices.Contains(names, attrPolicy) || slices.Contains(names, queue.AttrAll)
}

// policyStatement is one statement AddPermission writes.
type policyStatement struct {
	Sid       string              `json:"Sid"`
	Effect    string              `json:"Effect"`
	Principal map[string][]string `json:"Principal"`
	Action    []string            `json:"Action"`
	Resource  string              `json:"Resource"`
}

func (a *API) addPermission(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	in := c.in
	switch {
	case in.Label == "":
		return nil, fail(errMissingParameter, "The request must contain the parameter Label.")
	case len(in.AWSAccountIDs) == 0:
		return nil, fail(errMissingParameter, "The request must contain the parameter AWSAccountIds.")
	case len(in.Actions) == 0:
		return nil, fail(errMissingParameter, "The request must contain the parameter Actions.")
	}
	info, err := a.queues.Info(name)
	if err != nil {
		return nil, err
	}
	doc, sids, err := a.permissionDoc(ctx, info.ARN)
	if err != nil {
		return nil, err
	}
	if slices.Contains(sids, in.Label) {
		return nil, fail(errInvalidParameter, "Value %s for parameter Label is invalid. Reason: Already exists.", in.Label)
	}
	st := policyStatement{Sid: in.Label, Effect: "Allow", Principal: map[string][]string{"AWS": nil}, Resource: info.ARN}
	for _, acct := range in.AWSAccountIDs {
		st.Principal["AWS"] = append(st.Principal["AWS"], "arn:aws:iam::"+acct+":root")
	}
	for _, act := range in.Actions {
		st.Action = append(st.Action, "SQS:"+act)
	}
	b, _ := json.Marshal(st)
	doc.Statement = append(doc.Statement, b)
	out, _ := json.Marshal(doc)
	return nil, a.meta.SetPolicy(ctx, info.ARN, string(out))
}

func (a *API) removePermission(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	if c.in.Label == "" {
		return nil, fail(errMissingParameter, "The request must contain the parameter Label.")
	}
	info, err := a.queues.Info(name)
	if err != nil {
		return nil, err
	}
	doc, sids, err := a.permissionDoc(ctx, info.ARN)
	if err != nil {
		return nil, err
	}
	i := slices.Index(sids, c.in.Label)
	if i < 0 {
		return nil, fail(errInvalidParameter, "Value %s for parameter Label is invalid. Reason: can't find label.", c.in.Label)
	}
	doc.Statement = slices.Delete(doc.Statement, i, i+1)
	if len(doc.Statement) == 0 {
		return nil, a.meta.SetPolicy(ctx, info.ARN, "")
	}
	out, _ := json.Marshal(doc)
	return nil, a.meta.SetPolicy(ctx, info.ARN, string(out))
}

// permissionDoc reads the queue's policy for AddPermission/RemovePermission,
// with the Sid of each statement.
func (a *API) permissionDoc(ctx context.Context, arn string) (ferry.PolicyDocument, []string, error) {
	cur, err := a.meta.Policy(ctx, arn)
	if err != nil {
		return ferry.PolicyDocument{}, nil, err
	}
	doc, sids, err := ferry.ParsePolicy(cur, ferry.PolicyDocument{Version: "2012-10-17", ID: arn + "/SQSDefaultPolicy"})
	if err != nil {
		return doc, nil, ferry.Wrap(ferry.EINVALID, err, "the queue's Policy is not a policy document AddPermission can edit")
	}
	return doc, sids, nil
}

// created records what CreateQueue sets besides the queue service's
// attributes: on a new queue its tags and Policy (and forgets anything a
// deleted queue of the same name left); on an existing one, a Policy given
// again.
func (a *API) created(ctx context.Context, arn string, isNew bool, policy string, hasPolicy bool, tags map[string]string) error {
	if isNew {
		if err := a.meta.Forget(ctx, arn); err != nil {
			return err
		}
		if len(tags) > 0 {
			if err := a.meta.Tag(ctx, arn, tags); err != nil {
				return err
			}
		}
	}
	if hasPolicy {
		return a.meta.SetPolicy(ctx, arn, policy)
	}
	return nil
}

// addPolicy adds the queue's Policy to attrs when it has one.
func (a *API) addPolicy(ctx context.Context, name string, attrs map[string]string) error {
	p, err := a.meta.Policy(ctx, a.realm.QueueARN(name))
	if err != nil {
		return err
	}
	if p != "" {
		attrs[attrPolicy] = p
	}
	return nil
}
