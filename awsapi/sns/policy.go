package snsapi

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"

	"github.com/ferry-run/ferry"
)

// A topic's access Policy lives in the API's ResourceMeta, stored and
// returned exactly and not enforced. A topic without one reports the
// default policy SNS gives every new topic; AddPermission and
// RemovePermission edit the statements of that document.

const attrPolicy = "Policy"

// defaultPolicy is the policy SNS attaches to a new topic.
func (a *API) defaultPolicy(arn string) string {
	acct := a.realm.Account
	doc := map[string]any{
		"Version": "2008-10-17",
		"Id":      "__default_policy_ID",
		"Statement": []any{map[string]any{
			"Sid":       "__default_statement_ID",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": "*"},
			"Action": []string{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
				"SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"},
			"Resource":  arn,
			"Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceOwner": acct}},
		}},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

func checkPolicy(p string) error {
	var doc map[string]any
	if p == "" || json.Unmarshal([]byte(p), &doc) != nil {
		return invalidParameter("Invalid parameter: Policy Error: the policy is not a JSON object")
	}
	return nil
}

// policyOf returns the topic's policy, or the default one.
func (a *API) policyOf(ctx context.Context, arn string) (string, error) {
	p, err := a.meta.Policy(ctx, arn)
	if err != nil || p != "" {
		return p, err
	}
	return a.defaultPolicy(arn), nil
}

// setPolicy serves SetTopicAttributes Policy; an empty value restores the
// default policy.
func (a *API) setPolicy(ctx context.Context, ref, policy string) error {
	attrs, err := a.topics.GetTopicAttributes(ctx, ref)
	if err != nil {
		return err
	}
	if policy != "" {
		if err := checkPolicy(policy); err != nil {
			return err
		}
	}
	return a.meta.SetPolicy(ctx, attrs["TopicArn"], policy)
}

// created records what CreateTopic sets besides the topic service's
// attributes: on a new topic its tags and Policy, forgetting what a deleted
// topic of the same name left.
func (a *API) created(ctx context.Context, arn string, isNew bool, policy string, hasPolicy bool, tags []tag) error {
	if isNew {
		if err := a.meta.Forget(ctx, arn); err != nil {
			return err
		}
		if len(tags) > 0 {
			if err := a.meta.Tag(ctx, arn, tagMap(tags)); err != nil {
				return tagError(err)
			}
		}
	}
	if hasPolicy {
		return a.meta.SetPolicy(ctx, arn, policy)
	}
	return nil
}

// permissionDoc reads the topic's policy with the Sid of each statement.
func (a *API) permissionDoc(ctx context.Context, arn string) (ferry.PolicyDocument, []string, error) {
	cur, err := a.policyOf(ctx, arn)
	if err != nil {
		return ferry.PolicyDocument{}, nil, err
	}
	doc, sids, err := ferry.ParsePolicy(cur, ferry.PolicyDocument{})
	if err == nil && cur == "" {
		err = errors.New("unexpected end of JSON input")
	}
	if err != nil {
		return doc, nil, invalidParameter("the topic's Policy is not a document AddPermission can edit: %v", err)
	}
	return doc, sids, nil
}

func (a *API) addPermission(ctx context.Context, r *request) (any, error) {
	ref, err := r.p.required("TopicArn")
	if err != nil {
		return nil, err
	}
	label, err := r.p.required("Label")
	if err != nil {
		return nil, err
	}
	accounts, err := r.p.list("AWSAccountId")
	if err != nil {
		return nil, err
	}
	actions, err := r.p.list("ActionName")
	if err != nil {
		return nil, err
	}
	if len(accounts) == 0 || len(actions) == 0 {
		return nil, invalidParameter("Invalid parameter: AWSAccountId and ActionName must each have at least one member")
	}
	attrs, err := a.topics.GetTopicAttributes(ctx, ref)
	if err != nil {
		return nil, err
	}
	arn := attrs["TopicArn"]
	doc, sids, err := a.permissionDoc(ctx, arn)
	if err != nil {
		return nil, err
	}
	if slices.Contains(sids, label) {
		return nil, invalidParameter("Invalid parameter: Statement already exists")
	}
	principals := make([]string, len(accounts))
	for i, acct := range accounts {
		principals[i] = "arn:aws:iam::" + acct + ":root"
	}
	acts := make([]string, len(actions))
	for i, act := range actions {
		acts[i] = "SNS:" + act
	}
	st, _ := json.Marshal(map[string]any{"Sid": label, "Effect": "Allow",
		"Principal": map[string]any{"AWS": principals}, "Action": acts, "Resource": arn})
	doc.Statement = append(doc.Statement, st)
	b, _ := json.Marshal(doc)
	return emptyResult{}, a.meta.SetPolicy(ctx, arn, string(b))
}

func (a *API) removePermission(ctx context.Context, r *request) (any, error) {
	ref, err := r.p.required("TopicArn")
	if err != nil {
		return nil, err
	}
	label, err := r.p.required("Label")
	if err != nil {
		return nil, err
	}
	attrs, err := a.topics.GetTopicAttributes(ctx, ref)
	if err != nil {
		return nil, err
	}
	arn := attrs["TopicArn"]
	doc, sids, err := a.permissionDoc(ctx, arn)
	if err != nil {
		return nil, err
	}
	i := slices.Index(sids, label)
	if i < 0 {
		return nil, invalidParameter("Invalid parameter: Label %s does not exist", strconv.Quote(label))
	}
	doc.Statement = slices.Delete(doc.Statement, i, i+1)
	b, _ := json.Marshal(doc)
	return emptyResult{}, a.meta.SetPolicy(ctx, arn, string(b))
}
