package eventsapi

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/bus"
)

// eventBusJSON is EventBridge's EventBus shape (ListEventBuses entries and
// DescribeEventBus). Ferry does not track modifications: LastModifiedTime
// is the creation time.
type eventBusJSON struct {
	Name             string     `json:"Name"`
	Arn              string     `json:"Arn"`
	Description      string     `json:"Description,omitempty"`
	CreationTime     *epochTime `json:"CreationTime,omitempty"`
	LastModifiedTime *epochTime `json:"LastModifiedTime,omitempty"`
}

func toEventBusJSON(b bus.Bus) eventBusJSON {
	return eventBusJSON{Name: b.Name, Arn: b.Arn, Description: b.Description, CreationTime: epoch(b.Created), LastModifiedTime: epoch(b.Created)}
}

type createEventBusRequest struct {
	Name             *string
	Description      *string
	EventSourceName  *string
	KmsKeyIdentifier *string
	DeadLetterConfig json.RawMessage
	LogConfig        json.RawMessage
	Tags             json.RawMessage
}

type createEventBusResponse struct {
	EventBusArn string `json:"EventBusArn"`
	Description string `json:"Description,omitempty"`
}

func (a *API) createEventBus(ctx context.Context, req *createEventBusRequest) (createEventBusResponse, error) {
	if str(req.EventSourceName) != "" {
		return createEventBusResponse{}, ferry.Errorf(eUnsupported, "CreateEventBus: EventSourceName (partner event sources) is not supported by Ferry")
	}
	if str(req.KmsKeyIdentifier) != "" {
		return createEventBusResponse{}, ferry.Errorf(eUnsupported, "CreateEventBus: KmsKeyIdentifier is not supported by Ferry")
	}
	u := unsupported{"DeadLetterConfig": req.DeadLetterConfig, "LogConfig": req.LogConfig}
	if err := u.check("CreateEventBus"); err != nil {
		return createEventBusResponse{}, err
	}
	tags, err := decodeTags(req.Tags)
	if err != nil {
		return createEventBusResponse{}, err
	}
	b, err := a.buses.CreateBus(ctx, str(req.Name), str(req.Description))
	if err != nil {
		return createEventBusResponse{}, err
	}
	if err := a.tagCreated(ctx, b.Arn, tags); err != nil {
		return createEventBusResponse{}, err
	}
	return createEventBusResponse{EventBusArn: b.Arn, Description: b.Description}, nil
}

type busRef struct {
	Name *string
}

func (a *API) deleteEventBus(ctx context.Context, req *busRef) (empty, error) {
	if str(req.Name) == "" {
		return empty{}, ferry.Errorf(ferry.EINVALID, "Name is required")
	}
	if err := a.buses.DeleteBus(ctx, *req.Name); err != nil {
		return empty{}, err
	}
	return empty{}, a.meta.Forget(ctx, a.realm.BusARN(*req.Name))
}

func (a *API) describeEventBus(ctx context.Context, req *busRef) (eventBusJSON, error) {
	name, err := busNameOf(str(req.Name))
	if err != nil {
		return eventBusJSON{}, err
	}
	buses, err := a.buses.ListBuses(ctx)
	if err != nil {
		return eventBusJSON{}, err
	}
	for _, b := range buses {
		if b.Name == name {
			return toEventBusJSON(b), nil
		}
	}
	return eventBusJSON{}, ferry.Errorf(ferry.ENOTFOUND, "Event bus %s does not exist.", name)
}

type listEventBusesRequest struct {
	NamePrefix *string
	Limit      *int64
	NextToken  *string
}

type listEventBusesResponse struct {
	EventBuses []eventBusJSON `json:"EventBuses"`
	NextToken  *string        `json:"NextToken,omitempty"`
}

func (a *API) listEventBuses(ctx context.Context, req *listEventBusesRequest) (listEventBusesResponse, error) {
	buses, err := a.buses.ListBuses(ctx)
	if err != nil {
		return listEventBusesResponse{}, err
	}
	prefix := str(req.NamePrefix)
	matched := buses[:0]
	for _, b := range buses {
		if strings.HasPrefix(b.Name, prefix) {
			matched = append(matched, b)
		}
	}
	pg, next, err := page(matched, func(b bus.Bus) string { return b.Name }, req.Limit, req.NextToken)
	if err != nil {
		return listEventBusesResponse{}, err
	}
	out := listEventBusesResponse{EventBuses: make([]eventBusJSON, 0, len(pg)), NextToken: next}
	for _, b := range pg {
		out.EventBuses = append(out.EventBuses, toEventBusJSON(b))
	}
	return out, nil
}
