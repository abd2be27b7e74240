package lambdaapi_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"go.uber.org/goleak"

	"github.com/ferry-run/ferry"
	lambdaapi "github.com/ferry-run/ferry/awsapi/lambda"
	"github.com/ferry-run/ferry/catalog"
	"github.com/ferry-run/ferry/natsjs"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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

type bundle struct {
	client  *lambda.Client
	store   *catalog.Store
	inv     *invoker
	codeDir string
}

func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := context.Background()
	e := natsjs.New(natsjs.Config{DataDir: t.TempDir()})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(context.Background()) })
	store := catalog.New(e, nil)
	if err := store.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Stop(context.Background()) })
	b := &bundle{store: store, inv: &invoker{}, codeDir: t.TempDir()}
	api := lambdaapi.New(lambdaapi.Config{
		Realm:     ferry.DefaultRealm,
		Functions: store,
		Invoker:   b.inv,
		Async:     b.inv,
		CodeDir:   b.codeDir,
	})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	b.client = lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDFERRY", "secret", ""),
		HTTPClient:   srv.Client(),
		Retryer:      aws.NopRetryer{},
	})
	return b
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
