package lambdaapi_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"go.uber.org/goleak"

	"github.com/ferry-run/ferry"
	lambdaapi "github.com/ferry-run/ferry/awsapi/lambda"
	"github.com/ferry-run/ferry/catalog"
	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/queue"
	"github.com/ferry-run/ferry/trigger"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// nats.go starts this goroutine on the first async publish (object
		// store puts); when the connection closes before it is scheduled it
		// reads a channel already set to nil and never returns. Library
		// race, seen under -race only.
		goleak.IgnoreTopFunction("github.com/nats-io/nats.go/jetstream.(*jetStream).resetPendingAcksOnReconnect"),
	)
}

// invoker records the requests it gets and answers with a script.
type invoker struct {
	mu     sync.Mutex
	sync   []*ferry.InvokeRequest
	async  []*ferry.InvokeRequest
	result func(*ferry.InvokeRequest) (*ferry.Result, error)
	err    error // returned by InvokeAsync
}

func (i *invoker) Invoke(_ context.Context, req *ferry.InvokeRequest) (*ferry.Result, error) {
	i.mu.Lock()
	i.sync = append(i.sync, req)
	f := i.result
	i.mu.Unlock()
	if f == nil {
		return &ferry.Result{RequestID: req.RequestID, Payload: req.Payload}, nil
	}
	return f(req)
}

func (i *invoker) InvokeAsync(_ context.Context, req *ferry.InvokeRequest) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.err != nil {
		return i.err
	}
	i.async = append(i.async, req)
	return nil
}

func (i *invoker) calls() (sync, async []*ferry.InvokeRequest) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]*ferry.InvokeRequest(nil), i.sync...), append([]*ferry.InvokeRequest(nil), i.async...)
}

// bundle is the API on real JetStream: function catalogue, queue service,
// trigger service (event source mappings) and object code store. inv
// stands where the async engine stands.
type bundle struct {
	client   *lambda.Client
	api      *lambdaapi.API
	engine   *natsjs.Engine
	store    *catalog.Store
	queues   *queue.Service
	triggers *trigger.Service
	code     *lambdaapi.ObjectCodeStore
	inv      *invoker
	codeDir  string
}

func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := context.Background()
	e := natsjs.New(natsjs.Config{DataDir: t.TempDir()})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(context.Background()) })
	b := &bundle{engine: e, inv: &invoker{}, codeDir: t.TempDir()}
	b.store = catalog.New(e, nil)
	b.queues = queue.New(e, queue.Options{Realm: ferry.DefaultRealm})
	b.triggers = trigger.New(e, trigger.Options{
		Realm: ferry.DefaultRealm, Queues: b.queues, Functions: b.store, Invoker: b.inv, WaitTime: time.Second,
	})
	for _, p := range []interface {
		Start(context.Context) error
		Stop(context.Context) error
	}{b.store, b.queues, b.triggers} {
		if err := p.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := p.Stop(sctx); err != nil {
				t.Errorf("stop: %v", err)
			}
		})
	}
	b.code = lambdaapi.NewObjectCodeStore(e)
	b.api = lambdaapi.New(lambdaapi.Config{
		Realm:               ferry.DefaultRealm,
		Functions:           b.store,
		Invoker:             b.inv,
		Async:               b.inv,
		CodeDir:             b.codeDir,
		Code:                b.code,
		EventSourceMappings: b.triggers,
	})
	b.client = newClient(t, b.api)
	return b
}

// newClient returns an SDK client on api served over real HTTP.
func newClient(t *testing.T, api *lambdaapi.API) *lambda.Client {
	t.Helper()
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDFERRY", "secret", ""),
		HTTPClient:   srv.Client(),
		Retryer:      aws.NopRetryer{},
	})
}

// putFunction stores a function directly in the catalogue.
func (b *bundle) putFunction(t *testing.T, fn *ferry.Function) {
	t.Helper()
	if fn.Runtime == "" {
		fn.Runtime = "provided.al2023"
	}
	if err := b.store.PutFunction(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) function(t *testing.T, name string) *ferry.Function {
	t.Helper()
	fn, err := b.store.GetFunction(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

// wantErr asserts err is of type T and returns it.
func wantErr[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("err = %v (%T), want %T", err, err, target)
	}
	return target
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	got := lambdaapi.New(lambdaapi.Config{}).Routes()
	for _, want := range []string{"/2015-03-31/", "/2017-10-31/", "/2019-09-25/", "/2019-09-30/", "/2024-08-31/"} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("Routes() = %v, missing %q", got, want)
		}
	}
}
