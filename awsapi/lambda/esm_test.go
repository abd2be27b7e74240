package lambdaapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ferry-run/ferry"
	lambdaapi "github.com/ferry-run/ferry/awsapi/lambda"
	"github.com/ferry-run/ferry/trigger"
)

var _ lambdaapi.EventSourceMappings = (*trigger.Service)(nil)

// createQueue creates a queue on the bundle's queue service and returns its ARN.
func (b *bundle) createQueue(t *testing.T, name string) string {
	t.Helper()
	if _, err := b.queues.CreateQueue(context.Background(), name, nil); err != nil {
		t.Fatal(err)
	}
	return ferry.DefaultRealm.QueueARN(name)
}

// waitInvoked waits until the function has been invoked with a payload
// containing body, and returns that payload.
func (b *bundle) waitInvoked(t *testing.T, function, body string) json.RawMessage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		sync, _ := b.inv.calls()
		for _, req := range sync {
			if req.Function == function && strings.Contains(string(req.Payload), body) {
				return req.Payload
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("function %s was not invoked with %q", function, body)
	return nil
}

func TestEventSourceMappingLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	b.inv.result = func(req *ferry.InvokeRequest) (*ferry.Result, error) {
		return &ferry.Result{RequestID: req.RequestID, Payload: json.RawMessage(`{"batchItemFailures":[]}`)}, nil
	}
	b.putFunction(t, &ferry.Function{Name: "processOrder"})
	orders := b.createQueue(t, "orders")
	fnARN := ferry.DefaultRealm.FunctionARN("processOrder")

	before := time.Now().Add(-time.Second)
	created, err := b.client.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn:        aws.String(orders),
		FunctionName:          aws.String(fnARN),
		BatchSize:             aws.Int32(5),
		FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures},
		ScalingConfig:         &types.ScalingConfig{MaximumConcurrency: aws.Int32(3)},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.UUID)
	if id == "" || aws.ToString(created.State) != "Creating" || aws.ToString(created.EventSourceArn) != orders ||
		aws.ToString(created.FunctionArn) != fnARN || aws.ToInt32(created.BatchSize) != 5 ||
		aws.ToInt32(created.MaximumBatchingWindowInSeconds) != 0 ||
		!slices.Equal(created.FunctionResponseTypes, []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures}) ||
		created.ScalingConfig == nil || aws.ToInt32(created.ScalingConfig.MaximumConcurrency) != 3 {
		t.Errorf("CreateEventSourceMapping = %+v", created)
	}
	if got, want := aws.ToString(created.EventSourceMappingArn), "arn:aws:lambda:us-east-1:000000000000:event-source-mapping:"+id; got != want {
		t.Errorf("EventSourceMappingArn = %q, want %q", got, want)
	}
	if created.LastModified == nil || created.LastModified.Before(before) || created.LastModified.After(time.Now().Add(time.Second)) {
		t.Errorf("LastModified = %v, want about now", created.LastModified)
	}

	got, err := b.client.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.State) != "Enabled" || aws.ToString(got.UUID) != id || !got.LastModified.Equal(*created.LastModified) {
		t.Errorf("GetEventSourceMapping = %+v", got)
	}

	// The mapping is live: a message sent to the queue reaches the function.
	if _, err := b.queues.SendMessage(ctx, "orders", ferry.OutgoingMessage{Body: "order-1"}); err != nil {
		t.Fatal(err)
	}
	var event struct {
		Records []struct {
			Body           string `json:"body"`
			EventSourceARN string `json:"eventSourceARN"`
		}
	}
	if err := json.Unmarshal(b.waitInvoked(t, "processOrder", "order-1"), &event); err != nil {
		t.Fatal(err)
	}
	if len(event.Records) != 1 || event.Records[0].Body != "order-1" || event.Records[0].EventSourceARN != orders {
		t.Errorf("event = %+v", event)
	}

	// Update merges: fields not given keep their values.
	upd, err := b.client.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{
		UUID:                           aws.String(id),
		Enabled:                        aws.Bool(false),
		BatchSize:                      aws.Int32(20),
		MaximumBatchingWindowInSeconds: aws.Int32(2),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd.State) != "Updating" || aws.ToInt32(upd.BatchSize) != 20 || aws.ToInt32(upd.MaximumBatchingWindowInSeconds) != 2 ||
		len(upd.FunctionResponseTypes) != 1 || upd.ScalingConfig == nil || aws.ToInt32(upd.ScalingConfig.MaximumConcurrency) != 3 ||
		aws.ToString(upd.FunctionArn) != fnARN {
		t.Errorf("UpdateEventSourceMapping = %+v", upd)
	}
	got, err = b.client.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.State) != "Disabled" || aws.ToInt32(got.BatchSize) != 20 {
		t.Errorf("Get after disabling = %+v", got)
	}
	stored, err := b.triggers.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Enabled || stored.BatchSize != 20 || stored.MaximumBatchingWindow != 2*time.Second || !stored.ReportBatchItemFailures || stored.MaximumConcurrency != 3 {
		t.Errorf("stored mapping %+v", stored)
	}

	// An empty ScalingConfig and FunctionResponseTypes clear them.
	upd, err = b.client.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{
		UUID: aws.String(id), ScalingConfig: &types.ScalingConfig{}, FunctionResponseTypes: []types.FunctionResponseType{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.ScalingConfig != nil || len(upd.FunctionResponseTypes) != 0 || aws.ToInt32(upd.BatchSize) != 20 {
		t.Errorf("Update clearing ScalingConfig = %+v", upd)
	}

	_, err = b.client.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(orders), FunctionName: aws.String("processOrder"),
	})
	wantErr[*types.ResourceConflictException](t, err)

	del, err := b.client.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(del.State) != "Deleting" || aws.ToString(del.UUID) != id || aws.ToString(del.EventSourceArn) != orders {
		t.Errorf("DeleteEventSourceMapping = %+v", del)
	}
	_, err = b.client.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
	wantErr[*types.ResourceNotFoundException](t, err)

	// Enabled false at Create: the mapping exists but does not poll.
	off, err := b.client.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(orders), FunctionName: aws.String("000000000000:function:processOrder"), Enabled: aws.Bool(false),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(off.BatchSize) != trigger.DefaultBatchSize || aws.ToString(off.FunctionArn) != fnARN {
		t.Errorf("Create with defaults = %+v", off)
	}
	if n := b.triggers.Pollers(aws.ToString(off.UUID)); n != 0 {
		t.Errorf("disabled mapping runs %d pollers", n)
	}
}

func TestEventSourceMappingRejects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	b.putFunction(t, &ferry.Function{Name: "f"})
	q := b.createQueue(t, "q")
	create := func(mod func(in *lambda.CreateEventSourceMappingInput)) error {
		in := &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(q), FunctionName: aws.String("f"), Enabled: aws.Bool(false)}
		mod(in)
		_, err := b.client.CreateEventSourceMapping(ctx, in)
		return err
	}
	invalid := []struct {
		name string
		mod  func(in *lambda.CreateEventSourceMappingInput)
		want string // the message names it
	}{
		{"kinesis stream", func(in *lambda.CreateEventSourceMappingInput) {
			in.EventSourceArn = aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/orders")
		}, "arn:aws:kinesis:us-east-1:000000000000:stream/orders"},
		{"topic ARN", func(in *lambda.CreateEventSourceMappingInput) {
			in.EventSourceArn = aws.String("arn:aws:sns:us-east-1:000000000000:t")
		}, "EventSourceArn"},
		{"not an ARN", func(in *lambda.CreateEventSourceMappingInput) { in.EventSourceArn = aws.String("orders") }, "EventSourceArn"},
		{"batch size zero", func(in *lambda.CreateEventSourceMappingInput) { in.BatchSize = aws.Int32(0) }, "BatchSize"},
		{"batch size over 10000", func(in *lambda.CreateEventSourceMappingInput) {
			in.BatchSize = aws.Int32(10001)
			in.MaximumBatchingWindowInSeconds = aws.Int32(1)
		}, "BatchSize"},
		{"batch size over 10 without window", func(in *lambda.CreateEventSourceMappingInput) { in.BatchSize = aws.Int32(11) }, "MaximumBatchingWindowInSeconds"},
		{"window over 300", func(in *lambda.CreateEventSourceMappingInput) { in.MaximumBatchingWindowInSeconds = aws.Int32(301) }, "MaximumBatchingWindowInSeconds"},
		{"concurrency 1", func(in *lambda.CreateEventSourceMappingInput) {
			in.ScalingConfig = &types.ScalingConfig{MaximumConcurrency: aws.Int32(1)}
		}, "MaximumConcurrency"},
		{"concurrency 1001", func(in *lambda.CreateEventSourceMappingInput) {
			in.ScalingConfig = &types.ScalingConfig{MaximumConcurrency: aws.Int32(1001)}
		}, "MaximumConcurrency"},
		{"response type", func(in *lambda.CreateEventSourceMappingInput) {
			in.FunctionResponseTypes = []types.FunctionResponseType{"ReportEverything"}
		}, "FunctionResponseTypes"},
		{"filter criteria", func(in *lambda.CreateEventSourceMappingInput) {
			in.FilterCriteria = &types.FilterCriteria{Filters: []types.Filter{{Pattern: aws.String(`{"body":["x"]}`)}}}
		}, "FilterCriteria"},
		{"starting position", func(in *lambda.CreateEventSourceMappingInput) { in.StartingPosition = types.EventSourcePositionLatest }, "StartingPosition"},
		{"destination config", func(in *lambda.CreateEventSourceMappingInput) {
			in.DestinationConfig = &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(queueFail)}}
		}, "DestinationConfig"},
		{"tags", func(in *lambda.CreateEventSourceMappingInput) { in.Tags = map[string]string{"team": "pay"} }, "Tags"},
		{"function with version", func(in *lambda.CreateEventSourceMappingInput) { in.FunctionName = aws.String("f:$LATEST:x") }, "FunctionName"},
	}
	for _, c := range invalid {
		t.Run(c.name, func(t *testing.T) {
			e := wantErr[*types.InvalidParameterValueException](t, create(c.mod))
			if !strings.Contains(aws.ToString(e.Message), c.want) {
				t.Errorf("message %q does not name %s", aws.ToString(e.Message), c.want)
			}
		})
	}
	missing := []struct {
		name string
		mod  func(in *lambda.CreateEventSourceMappingInput)
	}{
		{"unknown function", func(in *lambda.CreateEventSourceMappingInput) { in.FunctionName = aws.String("ghost") }},
		{"unknown queue", func(in *lambda.CreateEventSourceMappingInput) {
			in.EventSourceArn = aws.String(ferry.DefaultRealm.QueueARN("ghost"))
		}},
	}
	for _, c := range missing {
		t.Run(c.name, func(t *testing.T) {
			wantErr[*types.ResourceNotFoundException](t, create(c.mod))
		})
	}
	if ms, err := b.triggers.List(ctx, "", ""); err != nil || len(ms) != 0 {
		t.Errorf("rejected mappings were stored: %+v %v", ms, err)
	}

	const ghost = "6c5a3f43-0000-4000-8000-000000000000"
	_, err := b.client.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(ghost)})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = b.client.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(ghost), BatchSize: aws.Int32(2)})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = b.client.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(ghost)})
	wantErr[*types.ResourceNotFoundException](t, err)

	// Update validates too, and leaves the mapping unchanged.
	m, err := b.client.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(q), FunctionName: aws.String("f"), Enabled: aws.Bool(false),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []*lambda.UpdateEventSourceMappingInput{
		{BatchSize: aws.Int32(10001), MaximumBatchingWindowInSeconds: aws.Int32(5)},
		{BatchSize: aws.Int32(-1)},
		{MaximumRetryAttempts: aws.Int32(2)},
		{FunctionName: aws.String("arn:aws:sqs:us-east-1:000000000000:q")},
	} {
		in.UUID = m.UUID
		wantErr[*types.InvalidParameterValueException](t, func() error { _, err := b.client.UpdateEventSourceMapping(ctx, in); return err }())
	}
	_, err = b.client.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: m.UUID, FunctionName: aws.String("ghost")})
	wantErr[*types.ResourceNotFoundException](t, err)
	stored, err := b.triggers.Get(ctx, aws.ToString(m.UUID))
	if err != nil || stored.BatchSize != trigger.DefaultBatchSize || stored.Function != "f" {
		t.Errorf("mapping after rejected updates: %+v %v", stored, err)
	}
}

func TestListEventSourceMappingsPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	b.putFunction(t, &ferry.Function{Name: "a"})
	b.putFunction(t, &ferry.Function{Name: "b"})
	want := map[string]string{} // uuid -> function
	var queues []string
	for i := range 5 {
		queues = append(queues, b.createQueue(t, fmt.Sprintf("q%d", i)))
	}
	create := func(queueARN, fn string) {
		t.Helper()
		out, err := b.client.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
			EventSourceArn: aws.String(queueARN), FunctionName: aws.String(fn), Enabled: aws.Bool(false),
		})
		if err != nil {
			t.Fatal(err)
		}
		want[aws.ToString(out.UUID)] = fn
	}
	for _, q := range queues {
		create(q, "a")
	}
	create(queues[0], "b")
	create(queues[1], "b")

	list := func(in *lambda.ListEventSourceMappingsInput) (ids []string, pages int) {
		t.Helper()
		p := lambda.NewListEventSourceMappingsPaginator(b.client, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if in.MaxItems != nil && len(out.EventSourceMappings) > int(*in.MaxItems) {
				t.Errorf("page of %d, MaxItems %d", len(out.EventSourceMappings), *in.MaxItems)
			}
			for _, m := range out.EventSourceMappings {
				ids = append(ids, aws.ToString(m.UUID))
			}
		}
		return ids, pages
	}
	ids, pages := list(&lambda.ListEventSourceMappingsInput{MaxItems: aws.Int32(2)})
	if pages != 4 || len(ids) != len(want) {
		t.Errorf("paged list: %d ids in %d pages, want %d in 4", len(ids), pages, len(want))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if _, ok := want[id]; !ok || seen[id] {
			t.Errorf("unexpected or repeated UUID %s", id)
		}
		seen[id] = true
	}

	ids, _ = list(&lambda.ListEventSourceMappingsInput{FunctionName: aws.String(ferry.DefaultRealm.FunctionARN("b"))})
	if len(ids) != 2 || want[ids[0]] != "b" || want[ids[1]] != "b" {
		t.Errorf("FunctionName filter: %v", ids)
	}
	ids, _ = list(&lambda.ListEventSourceMappingsInput{EventSourceArn: aws.String(queues[0]), MaxItems: aws.Int32(1)})
	if len(ids) != 2 {
		t.Errorf("EventSourceArn filter: %v", ids)
	}
	ids, _ = list(&lambda.ListEventSourceMappingsInput{FunctionName: aws.String("b"), EventSourceArn: aws.String(queues[1])})
	if len(ids) != 1 || want[ids[0]] != "b" {
		t.Errorf("both filters: %v", ids)
	}

	out, err := b.client.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{MaxItems: aws.Int32(10000)})
	if err != nil || len(out.EventSourceMappings) != len(want) || out.NextMarker != nil {
		t.Errorf("MaxItems 10000: %+v %v", out, err)
	}
	_, err = b.client.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{MaxItems: aws.Int32(10001)})
	wantErr[*types.InvalidParameterValueException](t, err)
	_, err = b.client.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{EventSourceArn: aws.String("arn:aws:sns:us-east-1:000000000000:t")})
	wantErr[*types.InvalidParameterValueException](t, err)
}

func TestEventSourceMappingsNotConfigured(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	client := newClient(t, lambdaapi.New(lambdaapi.Config{Functions: b.store}))
	_, err := client.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{})
	e := wantErr[*types.ServiceException](t, err)
	if !strings.Contains(aws.ToString(e.Message), "event source mappings are not configured") {
		t.Errorf("message %q", aws.ToString(e.Message))
	}
	_, err = client.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(queueOK), FunctionName: aws.String("f"),
	})
	wantErr[*types.ServiceException](t, err)
}

// TestEventSourceMappingWire checks the raw protocol: the AWS CLI's
// trailing-slash path, 202 answers, LastModified as epoch seconds, and an
// update that names the event source.
func TestEventSourceMappingWire(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.putFunction(t, &ferry.Function{Name: "f"})
	q := b.createQueue(t, "wire")
	h := b.api.Handler()
	do := func(method, path, body string) (int, map[string]any, string) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out, rec.Header().Get("X-Amzn-ErrorType")
	}
	status, out, _ := do("POST", "/2015-03-31/event-source-mappings/", `{"EventSourceArn":"`+q+`","FunctionName":"f","Enabled":false}`)
	if status != http.StatusAccepted {
		t.Fatalf("create: %d %v", status, out)
	}
	lm, ok := out["LastModified"].(float64)
	if !ok || time.Since(time.Unix(int64(lm), 0)).Abs() > time.Minute {
		t.Errorf("LastModified = %#v, want epoch seconds of now", out["LastModified"])
	}
	id, _ := out["UUID"].(string)
	status, out, errType := do("PUT", "/2015-03-31/event-source-mappings/"+id, `{"EventSourceArn":"`+q+`"}`)
	if status != http.StatusBadRequest || errType != "InvalidParameterValueException" || !strings.Contains(fmt.Sprint(out["message"]), "EventSourceArn") {
		t.Errorf("update naming the event source: %d %s %v", status, errType, out)
	}
	if status, out, _ := do("PUT", "/2015-03-31/event-source-mappings/"+id, `{"BatchSize":3,"FilterCriteria":null}`); status != http.StatusAccepted || out["BatchSize"] != 3.0 {
		t.Errorf("update with a null member: %d %v", status, out)
	}
	if status, _, errType := do("PUT", "/2015-03-31/event-source-mappings/"+id, `{"BatchSize":"three"}`); status != http.StatusBadRequest || errType != "InvalidRequestContentException" {
		t.Errorf("update with a bad body: %d %s", status, errType)
	}
	if status, out, _ := do("GET", "/2015-03-31/event-source-mappings/", ""); status != http.StatusOK || len(out["EventSourceMappings"].([]any)) != 1 {
		t.Errorf("list with trailing slash: %d %v", status, out)
	}
	if status, out, _ := do("DELETE", "/2015-03-31/event-source-mappings/"+id, ""); status != http.StatusAccepted || out["State"] != "Deleting" {
		t.Errorf("delete: %d %v", status, out)
	}
}
