package eventsapi

import (
	"context"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/bus"
)

type putEventsEntry struct {
	Source       *string
	DetailType   *string
	Detail       *string
	Resources    []string
	EventBusName *string
	Time         *epochTime
	TraceHeader  *string
}

type putEventsRequest struct {
	Entries    []putEventsEntry
	EndpointId *string
}

type putEventsResult struct {
	EventId      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

type putEventsResponse struct {
	FailedEntryCount int               `json:"FailedEntryCount"`
	Entries          []putEventsResult `json:"Entries"`
}

func (a *API) putEvents(ctx context.Context, req *putEventsRequest) (putEventsResponse, error) {
	if str(req.EndpointId) != "" {
		return putEventsResponse{}, ferry.Errorf(eUnsupported, "PutEvents: EndpointId (global endpoints) is not supported by Ferry")
	}
	if n := len(req.Entries); n == 0 || n > bus.MaxEntries {
		return putEventsResponse{}, ferry.Errorf(ferry.EINVALID, "PutEvents takes 1 to %d entries, got %d", bus.MaxEntries, n)
	}
	entries := make([]bus.Entry, len(req.Entries))
	for i, e := range req.Entries {
		entries[i] = bus.Entry{
			EventBusName: str(e.EventBusName), Source: str(e.Source), DetailType: str(e.DetailType),
			Detail: str(e.Detail), Resources: e.Resources, Time: timeOf(e.Time), TraceID: str(e.TraceHeader),
		}
	}
	res, err := a.buses.PutEvents(ctx, entries)
	if err != nil {
		return putEventsResponse{}, err
	}
	if err := allUnavailable(res); err != nil {
		return putEventsResponse{}, err
	}
	out := putEventsResponse{Entries: make([]putEventsResult, len(res))}
	for i, r := range res {
		if r.ErrorCode != "" {
			out.FailedEntryCount++
			out.Entries[i] = putEventsResult{ErrorCode: entryErrorCode(r.ErrorCode), ErrorMessage: r.ErrorMessage}
			continue
		}
		out.Entries[i] = putEventsResult{EventId: r.EventID}
	}
	return out, nil
}

type testEventPatternRequest struct {
	EventPattern *string
	Event        *string
}

type testEventPatternResponse struct {
	Result bool `json:"Result"`
}

func (a *API) testEventPattern(_ context.Context, req *testEventPatternRequest) (testEventPatternResponse, error) {
	if str(req.EventPattern) == "" {
		return testEventPatternResponse{}, ferry.Errorf(ferry.EINVALID, "EventPattern is required")
	}
	if err := checkPattern(*req.EventPattern); err != nil {
		return testEventPatternResponse{}, err
	}
	ok, err := a.buses.TestEventPattern(*req.EventPattern, str(req.Event))
	if err != nil {
		return testEventPatternResponse{}, err
	}
	return testEventPatternResponse{Result: ok}, nil
}

// allUnavailable is the request's error when no entry could be stored
// because the store is unavailable (full, or not answering): the whole
// call then fails with a 503, which clients retry, rather than succeed
// with every entry failed.
func allUnavailable(res []bus.EntryResult) error {
	for _, r := range res {
		if r.ErrorCode != ferry.EUNAVAILABLE {
			return nil
		}
	}
	if len(res) == 0 {
		return nil
	}
	return ferry.Errorf(ferry.EUNAVAILABLE, "%s", res[0].ErrorMessage)
}
