package eventsapi

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/bus"
)

// Request limits of PutTargets and RemoveTargets.
const (
	maxPutTargets    = 10
	maxRemoveTargets = 100
)

// targetJSON is EventBridge's Target shape. The members Ferry cannot honour
// are kept raw so a target that sets one is refused by name.
type targetJSON struct {
	Id               *string               `json:"Id"`
	Arn              *string               `json:"Arn"`
	Input            *string               `json:"Input,omitempty"`
	InputPath        *string               `json:"InputPath,omitempty"`
	InputTransformer *inputTransformerJSON `json:"InputTransformer,omitempty"`
	RoleArn          *string               `json:"RoleArn,omitempty"` // accepted, no effect

	AppSyncParameters           json.RawMessage `json:"AppSyncParameters,omitempty"`
	BatchParameters             json.RawMessage `json:"BatchParameters,omitempty"`
	DeadLetterConfig            json.RawMessage `json:"DeadLetterConfig,omitempty"`
	EcsParameters               json.RawMessage `json:"EcsParameters,omitempty"`
	HttpParameters              json.RawMessage `json:"HttpParameters,omitempty"`
	KinesisParameters           json.RawMessage `json:"KinesisParameters,omitempty"`
	RedshiftDataParameters      json.RawMessage `json:"RedshiftDataParameters,omitempty"`
	RetryPolicy                 json.RawMessage `json:"RetryPolicy,omitempty"`
	RunCommandParameters        json.RawMessage `json:"RunCommandParameters,omitempty"`
	SageMakerPipelineParameters json.RawMessage `json:"SageMakerPipelineParameters,omitempty"`
	SqsParameters               json.RawMessage `json:"SqsParameters,omitempty"`
}

type inputTransformerJSON struct {
	InputPathsMap map[string]string `json:"InputPathsMap,omitempty"`
	InputTemplate *string           `json:"InputTemplate"`
}

func (t *targetJSON) unsupported() unsupported {
	return unsupported{
		"AppSyncParameters": t.AppSyncParameters, "BatchParameters": t.BatchParameters,
		"DeadLetterConfig": t.DeadLetterConfig, "EcsParameters": t.EcsParameters,
		"HttpParameters": t.HttpParameters, "KinesisParameters": t.KinesisParameters,
		"RedshiftDataParameters": t.RedshiftDataParameters, "RetryPolicy": t.RetryPolicy,
		"RunCommandParameters": t.RunCommandParameters, "SageMakerPipelineParameters": t.SageMakerPipelineParameters,
		"SqsParameters": t.SqsParameters,
	}
}

func (t *targetJSON) toBus() bus.Target {
	out := bus.Target{Id: str(t.Id), Arn: str(t.Arn), Input: str(t.Input), InputPath: str(t.InputPath)}
	if it := t.InputTransformer; it != nil {
		out.InputTransformer = &bus.InputTransformer{InputPathsMap: it.InputPathsMap, InputTemplate: str(it.InputTemplate)}
	}
	return out
}

func fromBusTarget(t bus.Target) targetJSON {
	id, arn := t.Id, t.Arn
	out := targetJSON{Id: &id, Arn: &arn}
	if t.Input != "" {
		out.Input = &t.Input
	}
	if t.InputPath != "" {
		out.InputPath = &t.InputPath
	}
	if it := t.InputTransformer; it != nil {
		tmpl := it.InputTemplate
		out.InputTransformer = &inputTransformerJSON{InputPathsMap: it.InputPathsMap, InputTemplate: &tmpl}
	}
	return out
}

// failedEntry is a PutTargetsResultEntry or RemoveTargetsResultEntry.
type failedEntry struct {
	TargetId     string `json:"TargetId"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

type targetsResponse struct {
	FailedEntryCount int           `json:"FailedEntryCount"`
	FailedEntries    []failedEntry `json:"FailedEntries"`
}

// failure returns the failed entry for a target-level error, named as the
// operation's exceptions are.
func failure(op, id string, err error) failedEntry {
	return failedEntry{TargetId: id, ErrorCode: lookupError(op, err).name, ErrorMessage: ferry.ErrorMessage(err)}
}

func targetsResult(op string, failed []failedEntry, busFailed []bus.TargetFailure) targetsResponse {
	for _, f := range busFailed {
		failed = append(failed, failure(op, f.TargetId, ferry.Errorf(f.ErrorCode, "%s", f.ErrorMessage)))
	}
	if failed == nil {
		failed = []failedEntry{}
	}
	return targetsResponse{FailedEntryCount: len(failed), FailedEntries: failed}
}

type putTargetsRequest struct {
	Rule         *string
	EventBusName *string
	Targets      []targetJSON
}

func (a *API) putTargets(ctx context.Context, req *putTargetsRequest) (targetsResponse, error) {
	b, err := busNameOf(str(req.EventBusName))
	if err != nil {
		return targetsResponse{}, err
	}
	if str(req.Rule) == "" {
		return targetsResponse{}, ferry.Errorf(ferry.EINVALID, "Rule is required")
	}
	if n := len(req.Targets); n == 0 || n > maxPutTargets {
		return targetsResponse{}, ferry.Errorf(ferry.EINVALID, "PutTargets takes 1 to %d targets, got %d", maxPutTargets, n)
	}
	var failed []failedEntry
	var valid []bus.Target
	for i := range req.Targets {
		t := &req.Targets[i]
		if err := t.unsupported().check("target " + str(t.Id)); err != nil {
			failed = append(failed, failure("PutTargets", str(t.Id), err))
			continue
		}
		if t.InputTransformer != nil && t.InputTransformer.InputTemplate == nil {
			failed = append(failed, failure("PutTargets", str(t.Id), ferry.Errorf(ferry.EINVALID, "target %s: InputTransformer needs an InputTemplate", str(t.Id))))
			continue
		}
		valid = append(valid, t.toBus())
	}
	var busFailed []bus.TargetFailure
	if len(valid) > 0 {
		busFailed, err = a.buses.PutTargets(ctx, b, *req.Rule, valid)
		if err != nil {
			return targetsResponse{}, err
		}
	} else if _, err := a.buses.DescribeRule(ctx, b, *req.Rule); err != nil {
		return targetsResponse{}, err
	}
	return targetsResult("PutTargets", failed, busFailed), nil
}

type removeTargetsRequest struct {
	Rule         *string
	EventBusName *string
	Ids          []string
	Force        bool // managed rules only; Ferry has none
}

func (a *API) removeTargets(ctx context.Context, req *removeTargetsRequest) (targetsResponse, error) {
	b, err := busNameOf(str(req.EventBusName))
	if err != nil {
		return targetsResponse{}, err
	}
	if str(req.Rule) == "" {
		return targetsResponse{}, ferry.Errorf(ferry.EINVALID, "Rule is required")
	}
	if n := len(req.Ids); n == 0 || n > maxRemoveTargets {
		return targetsResponse{}, ferry.Errorf(ferry.EINVALID, "RemoveTargets takes 1 to %d ids, got %d", maxRemoveTargets, n)
	}
	busFailed, err := a.buses.RemoveTargets(ctx, b, *req.Rule, req.Ids)
	if err != nil {
		return targetsResponse{}, err
	}
	return targetsResult("RemoveTargets", nil, busFailed), nil
}

type listTargetsByRuleRequest struct {
	Rule         *string
	EventBusName *string
	Limit        *int64
	NextToken    *string
}

type listTargetsByRuleResponse struct {
	Targets   []targetJSON `json:"Targets"`
	NextToken *string      `json:"NextToken,omitempty"`
}

func (a *API) listTargetsByRule(ctx context.Context, req *listTargetsByRuleRequest) (listTargetsByRuleResponse, error) {
	b, err := busNameOf(str(req.EventBusName))
	if err != nil {
		return listTargetsByRuleResponse{}, err
	}
	if str(req.Rule) == "" {
		return listTargetsByRuleResponse{}, ferry.Errorf(ferry.EINVALID, "Rule is required")
	}
	targets, err := a.buses.ListTargetsByRule(ctx, b, *req.Rule)
	if err != nil {
		return listTargetsByRuleResponse{}, err
	}
	slices.SortFunc(targets, func(x, y bus.Target) int { return strings.Compare(x.Id, y.Id) })
	pg, next, err := page(targets, func(t bus.Target) string { return t.Id }, req.Limit, req.NextToken)
	if err != nil {
		return listTargetsByRuleResponse{}, err
	}
	out := listTargetsByRuleResponse{Targets: make([]targetJSON, 0, len(pg)), NextToken: next}
	for _, t := range pg {
		out.Targets = append(out.Targets, fromBusTarget(t))
	}
	return out, nil
}
