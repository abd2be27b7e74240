package lambdaapi_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/async"
	lambdaapi "github.com/ferry-run/ferry/awsapi/lambda"
	"github.com/ferry-run/ferry/destination"
	"github.com/ferry-run/ferry/history"
	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/nodeboot"
	"github.com/ferry-run/ferry/sandbox"
)

// startRunner starts the real async engine over a sandbox pool on the
// bundle's engine and catalogue, for tests that run function code.
func startRunner(t *testing.T, b *bundle) *async.Engine {
	t.Helper()
	ctx := context.Background()
	boot, err := nodeboot.Install(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	hist := history.New(b.engine, history.Options{})
	if err := hist.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hist.Stop(ctx) })
	pool := sandbox.New(sandbox.Options{Realm: ferry.DefaultRealm, NodeBootstrap: boot})
	if err := pool.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		pool.Stop(sctx)
	})
	eng := async.New(b.engine, async.Options{Functions: b.store, History: hist, Runner: pool})
	eng.SetRouter(destination.New(ferry.DefaultRealm, destination.Targets{Queues: b.queues}))
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		eng.Stop(sctx)
	})
	return eng
}

// TestRestoreRebuildsLostCode loses a function's unpacked code, as a server
// whose code directory is gone would, and runs it after Restore.
func TestRestoreRebuildsLostCode(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	eng := startRunner(t, b)
	newAPI := func() *lambdaapi.API {
		return lambdaapi.New(lambdaapi.Config{
			Realm: ferry.DefaultRealm, Functions: b.store, Invoker: eng, Async: eng, CodeDir: b.codeDir, Code: b.code,
		})
	}
	client := newClient(t, newAPI())
	zipFile := buildZip(t,
		zipEntry{name: "index.js", mode: 0o644, body: `const fs = require("fs");
exports.handler = async (event) => ({ got: event.n, data: fs.readFileSync(__dirname + "/lib/data.txt", "utf8") });
`},
		zipEntry{name: "lib/data.txt", mode: 0o600, body: "kept in JetStream"},
	)
	created, err := client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("restored"), Runtime: types.RuntimeNodejs20x, Handler: aws.String("index.handler"),
		Role: aws.String("arn:aws:iam::000000000000:role/lambda"), Code: &types.FunctionCode{ZipFile: zipFile},
	})
	if err != nil {
		t.Fatal(err)
	}
	fn := b.function(t, "restored")
	stored, err := b.code.Get(ctx, "restored/"+filepath.Base(fn.CodeDir))
	if err != nil || string(stored) != string(zipFile) {
		t.Fatalf("code store holds %d bytes (%v), want the uploaded zip of %d", len(stored), err, len(zipFile))
	}

	if err := os.RemoveAll(filepath.Join(b.codeDir, "restored")); err != nil {
		t.Fatal(err)
	}
	// A restarted server: a new API on the same catalogue and code store.
	api := newAPI()
	if err := api.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(fn.CodeDir, "lib", "data.txt")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("restored lib/data.txt: %v %v, want mode 0600", fi, err)
	}
	client = newClient(t, api)
	got, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("restored")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Configuration.CodeSha256) != aws.ToString(created.CodeSha256) || got.Configuration.CodeSize != created.CodeSize {
		t.Errorf("after Restore CodeSha256 %q size %d, want %q %d", aws.ToString(got.Configuration.CodeSha256),
			got.Configuration.CodeSize, aws.ToString(created.CodeSha256), created.CodeSize)
	}
	out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("restored"), Payload: []byte(`{"n":7}`)})
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Got  int    `json:"got"`
		Data string `json:"data"`
	}
	if out.FunctionError != nil || json.Unmarshal(out.Payload, &res) != nil || res.Got != 7 || res.Data != "kept in JetStream" {
		t.Errorf("Invoke after Restore: error %v payload %s", aws.ToString(out.FunctionError), out.Payload)
	}
}

func TestCodeStoreFollowsRevisions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	v1 := buildZip(t, zipEntry{name: "bootstrap", mode: 0o755, body: "#!/bin/sh\necho v1\n"})
	if _, err := b.client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("rev"), Runtime: types.RuntimeProvidedal2023, Role: aws.String("arn:aws:iam::000000000000:role/lambda"),
		Code: &types.FunctionCode{ZipFile: v1},
	}); err != nil {
		t.Fatal(err)
	}
	key1 := "rev/" + filepath.Base(b.function(t, "rev").CodeDir)
	v2 := buildZip(t, zipEntry{name: "bootstrap", mode: 0o755, body: "#!/bin/sh\necho v2\n"})
	if _, err := b.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("rev"), ZipFile: v2}); err != nil {
		t.Fatal(err)
	}
	fn := b.function(t, "rev")
	key2 := "rev/" + filepath.Base(fn.CodeDir)
	if _, err := b.code.Get(ctx, key1); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("replaced revision still stored: %v", err)
	}
	if got, err := b.code.Get(ctx, key2); err != nil || string(got) != string(v2) {
		t.Errorf("current revision: %d bytes, %v", len(got), err)
	}

	// Restore leaves present code alone, rebuilds a lost current revision,
	// and skips (without failing) code the store never had.
	marker := filepath.Join(fn.CodeDir, "marker")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b.putFunction(t, &ferry.Function{Name: "unstored", CodeDir: filepath.Join(b.codeDir, "unstored", "0190-lost")})
	if err := b.api.Restore(ctx); err != nil {
		t.Fatalf("Restore with nothing lost: %v", err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("Restore replaced code that was present: %v", err)
	}
	if err := os.RemoveAll(fn.CodeDir); err != nil {
		t.Fatal(err)
	}
	if err := b.api.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(fn.CodeDir, "bootstrap")); err != nil || string(got) != "#!/bin/sh\necho v2\n" {
		t.Errorf("restored bootstrap %q %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(b.codeDir, "unstored", "0190-lost")); !os.IsNotExist(err) {
		t.Errorf("Restore invented code for a function the store never had: %v", err)
	}

	if _, err := b.client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("rev")}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.code.Get(ctx, key2); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("code of a deleted function still stored: %v", err)
	}
}

func TestObjectCodeStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := natsjs.New(natsjs.Config{DataDir: t.TempDir()})
	// Built before the engine starts, as the server wires it.
	s := lambdaapi.NewObjectCodeStore(e)
	if err := s.Put(ctx, "f/1", []byte("zip")); ferry.ErrorCode(err) != ferry.EUNAVAILABLE {
		t.Errorf("Put before the engine started: %v, want EUNAVAILABLE", err)
	}
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(context.Background()) })

	big := make([]byte, 3<<20) // several object store chunks
	for i := range big {
		big[i] = byte(i * 7)
	}
	if err := s.Put(ctx, "f/1", big); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "f/1"); err != nil || string(got) != string(big) {
		t.Fatalf("Get = %d bytes, %v; want %d", len(got), err, len(big))
	}
	if err := s.Put(ctx, "f/1", []byte("smaller")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "f/1"); err != nil || string(got) != "smaller" {
		t.Errorf("Get after replace = %q, %v", got, err)
	}
	// A second store on the same engine sees the same bucket.
	if got, err := lambdaapi.NewObjectCodeStore(e).Get(ctx, "f/1"); err != nil || string(got) != "smaller" {
		t.Errorf("Get through another store = %q, %v", got, err)
	}
	if err := s.Delete(ctx, "f/1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "f/1"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("Get after Delete: %v, want ENOTFOUND", err)
	}
	if err := s.Delete(ctx, "f/1"); err != nil {
		t.Errorf("Delete of a missing key: %v", err)
	}
}
