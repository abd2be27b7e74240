package eventsapi

import (
	"context"
	"encoding/json"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/bus"
)

// archiveRulePrefix names the managed rule EventBridge creates for each
// archive on its source bus: Events-Archive-<archive name>.
const archiveRulePrefix = "Events-Archive-"

// managedByEvents is the ManagedBy of rules EventBridge itself owns.
const managedByEvents = "events.amazonaws.com"

// archiveRulePattern is the managed rule's pattern: the archive's pattern
// (every event when it has none) without replayed events.
func archiveRulePattern(p string) string {
	doc := map[string]any{}
	if p != "" {
		_ = json.Unmarshal([]byte(p), &doc)
	}
	doc["replay-name"] = []any{map[string]any{"exists": false}}
	b, _ := json.Marshal(doc)
	return string(b)
}

// putArchiveRule creates or updates the managed rule of an archive. The
// rule has no targets: the bus archives events itself; the rule shows
// what the archive takes, as on AWS.
func (a *API) putArchiveRule(ctx context.Context, name string) error {
	ar, err := a.buses.DescribeArchive(ctx, name)
	if err != nil {
		return err
	}
	_, err = a.buses.PutRule(ctx, bus.Rule{
		Bus: ar.SourceBus, Name: archiveRulePrefix + ar.Name, EventPattern: archiveRulePattern(ar.EventPattern),
		State: bus.Enabled, ManagedBy: managedByEvents,
	})
	return err
}

func (a *API) deleteArchiveRule(ctx context.Context, ar bus.Archive) error {
	err := a.buses.DeleteRule(ctx, ar.SourceBus, archiveRulePrefix+ar.Name)
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		return nil
	}
	return err
}

type listArchivesRequest struct {
	NamePrefix     *string
	EventSourceArn *string
	State          *string
	Limit          *int64
	NextToken      *string
}

type archiveJSON struct {
	ArchiveName    string     `json:"ArchiveName"`
	EventSourceArn string     `json:"EventSourceArn"`
	State          string     `json:"State"`
	RetentionDays  int        `json:"RetentionDays"`
	EventCount     int64      `json:"EventCount"`
	CreationTime   *epochTime `json:"CreationTime,omitempty"`
}

type listArchivesResponse struct {
	Archives  []archiveJSON `json:"Archives"`
	NextToken *string       `json:"NextToken,omitempty"`
}

func (a *API) listArchives(ctx context.Context, req *listArchivesRequest) (listArchivesResponse, error) {
	source := ""
	if arn := str(req.EventSourceArn); arn != "" {
		b, err := busNameOf(arn)
		if err != nil {
			return listArchivesResponse{}, err
		}
		source = b
	}
	if s := str(req.State); s != "" && s != archiveEnabled {
		return listArchivesResponse{Archives: []archiveJSON{}}, nil // every Ferry archive is ENABLED
	}
	all, err := a.buses.ListArchives(ctx, str(req.NamePrefix), source)
	if err != nil {
		return listArchivesResponse{}, err
	}
	pg, next, err := page(all, func(ar bus.Archive) string { return ar.Name }, req.Limit, req.NextToken)
	if err != nil {
		return listArchivesResponse{}, err
	}
	out := listArchivesResponse{Archives: make([]archiveJSON, 0, len(pg)), NextToken: next}
	for _, ar := range pg {
		n, err := a.buses.ArchiveEventCount(ctx, ar.Name)
		if err != nil {
			return listArchivesResponse{}, err
		}
		out.Archives = append(out.Archives, archiveJSON{
			ArchiveName: ar.Name, EventSourceArn: a.realm.BusARN(ar.SourceBus), State: archiveEnabled,
			RetentionDays: ar.RetentionDays, EventCount: n, CreationTime: epoch(ar.Created),
		})
	}
	return out, nil
}

type updateArchiveRequest struct {
	ArchiveName      *string
	Description      *string
	EventPattern     *string
	RetentionDays    *int64
	KmsKeyIdentifier *string
}

type updateArchiveResponse struct {
	ArchiveArn   string     `json:"ArchiveArn"`
	State        string     `json:"State"`
	CreationTime *epochTime `json:"CreationTime,omitempty"`
}

func (a *API) updateArchive(ctx context.Context, req *updateArchiveRequest) (updateArchiveResponse, error) {
	if str(req.ArchiveName) == "" {
		return updateArchiveResponse{}, ferry.Errorf(ferry.EINVALID, "ArchiveName is required")
	}
	if str(req.KmsKeyIdentifier) != "" {
		return updateArchiveResponse{}, ferry.Errorf(eUnsupported, "UpdateArchive: KmsKeyIdentifier is not supported by Ferry")
	}
	if p := str(req.EventPattern); p != "" {
		if err := checkPattern(p); err != nil {
			return updateArchiveResponse{}, err
		}
	}
	u := bus.ArchiveUpdate{Description: req.Description, EventPattern: req.EventPattern}
	if req.RetentionDays != nil {
		if *req.RetentionDays < 0 || *req.RetentionDays > 1<<31-1 {
			return updateArchiveResponse{}, ferry.Errorf(ferry.EINVALID, "RetentionDays %d must be 0 (forever) or more", *req.RetentionDays)
		}
		d := int(*req.RetentionDays)
		u.RetentionDays = &d
	}
	ar, err := a.buses.UpdateArchive(ctx, *req.ArchiveName, u)
	if err != nil {
		return updateArchiveResponse{}, err
	}
	if req.EventPattern != nil {
		if err := a.putArchiveRule(ctx, ar.Name); err != nil {
			return updateArchiveResponse{}, err
		}
	}
	return updateArchiveResponse{ArchiveArn: ar.Arn, State: archiveEnabled, CreationTime: epoch(ar.Created)}, nil
}

type listReplaysRequest struct {
	NamePrefix     *string
	State          *string
	EventSourceArn *string
	Limit          *int64
	NextToken      *string
}

type replayJSON struct {
	ReplayName     string     `json:"ReplayName"`
	EventSourceArn string     `json:"EventSourceArn"`
	State          string     `json:"State"`
	StateReason    string     `json:"StateReason,omitempty"`
	EventStartTime *epochTime `json:"EventStartTime,omitempty"`
	EventEndTime   *epochTime `json:"EventEndTime,omitempty"`
}

type listReplaysResponse struct {
	Replays   []replayJSON `json:"Replays"`
	NextToken *string      `json:"NextToken,omitempty"`
}

func (a *API) listReplays(ctx context.Context, req *listReplaysRequest) (listReplaysResponse, error) {
	archive := ""
	if arn := str(req.EventSourceArn); arn != "" {
		n, err := resourceName(arn, "archive")
		if err != nil {
			return listReplaysResponse{}, err
		}
		archive = n
	}
	all, err := a.buses.ListReplays(ctx, str(req.NamePrefix))
	if err != nil {
		return listReplaysResponse{}, err
	}
	var keep []bus.Replay
	for _, r := range all {
		if (archive == "" || r.Archive == archive) && (str(req.State) == "" || r.State == str(req.State)) {
			keep = append(keep, r)
		}
	}
	pg, next, err := page(keep, func(r bus.Replay) string { return r.Name }, req.Limit, req.NextToken)
	if err != nil {
		return listReplaysResponse{}, err
	}
	out := listReplaysResponse{Replays: make([]replayJSON, 0, len(pg)), NextToken: next}
	for _, r := range pg {
		out.Replays = append(out.Replays, replayJSON{
			ReplayName: r.Name, EventSourceArn: a.archiveARN(r.Archive), State: r.State, StateReason: r.StateReason,
			EventStartTime: epoch(r.Start), EventEndTime: epoch(r.End),
		})
	}
	return out, nil
}

type cancelReplayResponse struct {
	ReplayArn   string `json:"ReplayArn"`
	State       string `json:"State"`
	StateReason string `json:"StateReason,omitempty"`
}

func (a *API) cancelReplay(ctx context.Context, req *replayRef) (cancelReplayResponse, error) {
	if str(req.ReplayName) == "" {
		return cancelReplayResponse{}, ferry.Errorf(ferry.EINVALID, "ReplayName is required")
	}
	r, err := a.buses.CancelReplay(ctx, *req.ReplayName)
	if err != nil {
		return cancelReplayResponse{}, err
	}
	return cancelReplayResponse{ReplayArn: r.Arn, State: r.State}, nil
}
