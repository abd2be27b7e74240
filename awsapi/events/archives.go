package eventsapi

import (
	"context"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/bus"
)

// archiveEnabled is the state of every archive: Ferry's archives are ready
// once created.
const archiveEnabled = "ENABLED"

type createArchiveRequest struct {
	ArchiveName      *string
	EventSourceArn   *string
	EventPattern     *string
	RetentionDays    *int64
	Description      *string
	KmsKeyIdentifier *string
}

type createArchiveResponse struct {
	ArchiveArn   string     `json:"ArchiveArn"`
	State        string     `json:"State"`
	CreationTime *epochTime `json:"CreationTime,omitempty"`
}

func (a *API) createArchive(ctx context.Context, req *createArchiveRequest) (createArchiveResponse, error) {
	if str(req.KmsKeyIdentifier) != "" {
		return createArchiveResponse{}, ferry.Errorf(eUnsupported, "CreateArchive: KmsKeyIdentifier is not supported by Ferry")
	}
	if str(req.EventSourceArn) == "" {
		return createArchiveResponse{}, ferry.Errorf(ferry.EINVALID, "EventSourceArn is required")
	}
	if _, err := busNameOf(*req.EventSourceArn); err != nil {
		return createArchiveResponse{}, err
	}
	if p := str(req.EventPattern); p != "" {
		if err := checkPattern(p); err != nil {
			return createArchiveResponse{}, err
		}
	}
	days := 0
	if req.RetentionDays != nil {
		if *req.RetentionDays < 0 || *req.RetentionDays > 1<<31-1 {
			return createArchiveResponse{}, ferry.Errorf(ferry.EINVALID, "RetentionDays %d must be 0 (forever) or more", *req.RetentionDays)
		}
		days = int(*req.RetentionDays)
	}
	arn, err := a.buses.CreateArchive(ctx, bus.Archive{
		Name: str(req.ArchiveName), SourceBus: *req.EventSourceArn,
		EventPattern: str(req.EventPattern), RetentionDays: days, Description: str(req.Description),
	})
	if err != nil {
		return createArchiveResponse{}, err
	}
	if err := a.putArchiveRule(ctx, str(req.ArchiveName)); err != nil {
		return createArchiveResponse{}, err
	}
	out := createArchiveResponse{ArchiveArn: arn, State: archiveEnabled}
	if ar, err := a.buses.DescribeArchive(ctx, str(req.ArchiveName)); err == nil {
		out.CreationTime = epoch(ar.Created)
	}
	return out, nil
}

type archiveRef struct {
	ArchiveName *string
}

// describeArchiveResponse leaves SizeBytes out: the bus service does not
// measure it.
type describeArchiveResponse struct {
	ArchiveArn     string     `json:"ArchiveArn"`
	ArchiveName    string     `json:"ArchiveName"`
	EventSourceArn string     `json:"EventSourceArn"`
	Description    string     `json:"Description,omitempty"`
	EventPattern   string     `json:"EventPattern,omitempty"`
	RetentionDays  int        `json:"RetentionDays"`
	EventCount     int64      `json:"EventCount"`
	State          string     `json:"State"`
	CreationTime   *epochTime `json:"CreationTime,omitempty"`
}

func (a *API) describeArchive(ctx context.Context, req *archiveRef) (describeArchiveResponse, error) {
	if str(req.ArchiveName) == "" {
		return describeArchiveResponse{}, ferry.Errorf(ferry.EINVALID, "ArchiveName is required")
	}
	ar, err := a.buses.DescribeArchive(ctx, *req.ArchiveName)
	if err != nil {
		return describeArchiveResponse{}, err
	}
	n, err := a.buses.ArchiveEventCount(ctx, ar.Name)
	if err != nil {
		return describeArchiveResponse{}, err
	}
	return describeArchiveResponse{
		ArchiveArn: ar.Arn, ArchiveName: ar.Name, EventSourceArn: a.realm.BusARN(ar.SourceBus),
		Description: ar.Description, EventPattern: ar.EventPattern, RetentionDays: ar.RetentionDays,
		EventCount: n, State: archiveEnabled, CreationTime: epoch(ar.Created),
	}, nil
}

func (a *API) deleteArchive(ctx context.Context, req *archiveRef) (empty, error) {
	if str(req.ArchiveName) == "" {
		return empty{}, ferry.Errorf(ferry.EINVALID, "ArchiveName is required")
	}
	ar, err := a.buses.DescribeArchive(ctx, *req.ArchiveName)
	if err != nil {
		return empty{}, err
	}
	if err := a.buses.DeleteArchive(ctx, ar.Name); err != nil {
		return empty{}, err
	}
	return empty{}, a.deleteArchiveRule(ctx, ar)
}

type replayDestination struct {
	Arn        *string  `json:"Arn"`
	FilterArns []string `json:"FilterArns,omitempty"`
}

type startReplayRequest struct {
	ReplayName     *string
	EventSourceArn *string
	Destination    *replayDestination
	EventStartTime *epochTime
	EventEndTime   *epochTime
	Description    *string
}

type startReplayResponse struct {
	ReplayArn       string     `json:"ReplayArn"`
	State           string     `json:"State"`
	StateReason     string     `json:"StateReason,omitempty"`
	ReplayStartTime *epochTime `json:"ReplayStartTime,omitempty"`
}

func (a *API) startReplay(ctx context.Context, req *startReplayRequest) (startReplayResponse, error) {
	archive, err := resourceName(str(req.EventSourceArn), "archive")
	if err != nil {
		return startReplayResponse{}, err
	}
	if req.Destination == nil || str(req.Destination.Arn) == "" {
		return startReplayResponse{}, ferry.Errorf(ferry.EINVALID, "Destination.Arn is required")
	}
	dest, err := busNameOf(*req.Destination.Arn)
	if err != nil {
		return startReplayResponse{}, err
	}
	started := time.Now().UTC()
	arn, err := a.buses.StartReplay(ctx, bus.Replay{
		Name: str(req.ReplayName), Archive: archive, DestinationBus: dest, Rules: req.Destination.FilterArns,
		Start: timeOf(req.EventStartTime), End: timeOf(req.EventEndTime), Description: str(req.Description),
	})
	if err != nil {
		return startReplayResponse{}, err
	}
	out := startReplayResponse{ReplayArn: arn, State: bus.ReplayRunning, ReplayStartTime: epoch(started)}
	if r, err := a.buses.DescribeReplay(ctx, str(req.ReplayName)); err == nil {
		out.State, out.StateReason = r.State, r.StateReason
	}
	return out, nil
}

type replayRef struct {
	ReplayName *string
}

// describeReplayResponse leaves out the replay's start, end and last
// replayed times: the bus service does not record them.
type describeReplayResponse struct {
	ReplayArn      string            `json:"ReplayArn"`
	ReplayName     string            `json:"ReplayName"`
	Description    string            `json:"Description,omitempty"`
	EventSourceArn string            `json:"EventSourceArn"`
	Destination    replayDestination `json:"Destination"`
	EventStartTime *epochTime        `json:"EventStartTime,omitempty"`
	EventEndTime   *epochTime        `json:"EventEndTime,omitempty"`
	State          string            `json:"State"`
	StateReason    string            `json:"StateReason,omitempty"`
}

func (a *API) describeReplay(ctx context.Context, req *replayRef) (describeReplayResponse, error) {
	if str(req.ReplayName) == "" {
		return describeReplayResponse{}, ferry.Errorf(ferry.EINVALID, "ReplayName is required")
	}
	r, err := a.buses.DescribeReplay(ctx, *req.ReplayName)
	if err != nil {
		return describeReplayResponse{}, err
	}
	dest := a.realm.BusARN(r.DestinationBus)
	return describeReplayResponse{
		ReplayArn: r.Arn, ReplayName: r.Name, Description: r.Description, EventSourceArn: a.archiveARN(r.Archive),
		Destination:    replayDestination{Arn: &dest, FilterArns: r.Rules},
		EventStartTime: epoch(r.Start), EventEndTime: epoch(r.End),
		State: r.State, StateReason: r.StateReason,
	}, nil
}
