package lambdaapi_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/ferry-run/ferry"
	lambdaapi "github.com/ferry-run/ferry/awsapi/lambda"
	"github.com/ferry-run/ferry/resmeta"
)

const testRole = "arn:aws:iam::000000000000:role/lambda"

// setupMeta is setup with the durable resource metadata store.
func setupMeta(t *testing.T) *bundle {
	t.Helper()
	b := setup(t)
	b.api = lambdaapi.New(lambdaapi.Config{Realm: ferry.DefaultRealm, Functions: b.store, Invoker: b.inv, Async: b.inv,
		CodeDir: b.codeDir, Code: b.code, EventSourceMappings: b.triggers, Meta: resmeta.New(b.engine, nil)})
	b.client = newClient(t, b.api)
	return b
}

func createFn(t *testing.T, b *bundle, in *lambda.CreateFunctionInput) *lambda.CreateFunctionOutput {
	t.Helper()
	if in.Runtime == "" {
		in.Runtime = types.RuntimeNodejs20x
	}
	if in.Handler == nil {
		in.Handler = aws.String("index.handler")
	}
	if in.Code == nil {
		in.Code = &types.FunctionCode{ZipFile: buildZip(t, zipEntry{"index.js", 0o644, "exports.handler = async () => 1;"})}
	}
	out, err := b.client.CreateFunction(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	return out
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

// TestFunctionTags: CreateFunction Tags and the TagResource family are
// stored (in the durable store) and returned, by ListTags and GetFunction.
func TestFunctionTags(t *testing.T) {
	t.Parallel()
	b := setupMeta(t)
	ctx := context.Background()
	out := createFn(t, b, &lambda.CreateFunctionInput{FunctionName: aws.String("tagged"), Role: aws.String(testRole),
		Tags: map[string]string{"team": "pay"}})
	arn := aws.ToString(out.FunctionArn)
	if _, err := b.client.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"env": "dev", "cost": "1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"cost"}}); err != nil {
		t.Fatal(err)
	}
	lt, err := b.client.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
	want := map[string]string{"team": "pay", "env": "dev"}
	if err != nil || !maps.Equal(lt.Tags, want) {
		t.Fatalf("ListTags = %v, %v; want %v", lt, err, want)
	}
	gf, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("tagged")})
	if err != nil || !maps.Equal(gf.Tags, want) {
		t.Fatalf("GetFunction Tags = %v, %v", gf.Tags, err)
	}
	_, err = b.client.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(ferry.DefaultRealm.FunctionARN("ghost"))})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("ListTags of an unknown function: %v", err)
	}
}

// TestFunctionPolicy: AddPermission statements are stored; GetPolicy
// returns them; RemovePermission removes them (accepted, not enforced).
func TestFunctionPolicy(t *testing.T) {
	t.Parallel()
	b := setupMeta(t)
	ctx := context.Background()
	createFn(t, b, &lambda.CreateFunctionInput{FunctionName: aws.String("pol"), Role: aws.String(testRole)})
	_, err := b.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("pol")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("GetPolicy without a policy: %v", err)
	}
	ap, err := b.client.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("pol"), StatementId: aws.String("sns"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("sns.amazonaws.com"),
		SourceArn: aws.String("arn:aws:sns:us-east-1:000000000000:t")})
	if err != nil {
		t.Fatal(err)
	}
	gp, err := b.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("pol")})
	if err != nil {
		t.Fatal(err)
	}
	if p := aws.ToString(gp.Policy); !strings.Contains(p, aws.ToString(ap.Statement)) || !strings.Contains(p, `"Version":"2012-10-17"`) {
		t.Fatalf("GetPolicy = %s; want the statement %s", p, aws.ToString(ap.Statement))
	}
	_, err = b.client.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("pol"), StatementId: aws.String("sns"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("sns.amazonaws.com")})
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) {
		t.Fatalf("AddPermission with a used statement id: %v", err)
	}
	if _, err := b.client.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("pol"), StatementId: aws.String("sns")}); err != nil {
		t.Fatal(err)
	}
	_, err = b.client.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("pol"), StatementId: aws.String("sns")})
	if !errors.As(err, &nf) || nf.ErrorMessage() != "Statement sns is not found in resource policy." {
		t.Fatalf("RemovePermission of a removed statement: %v", err)
	}
	if _, err := b.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("pol")}); !errors.As(err, &nf) {
		t.Fatalf("GetPolicy after removing the only statement: %v", err)
	}
}

// TestDriftFields: Role, Description, Architectures and EphemeralStorage
// are stored and returned; Role must be an IAM role ARN; LastModified does
// not move with PutFunctionEventInvokeConfig; Code.Location serves the zip.
func TestDriftFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	zipFile := buildZip(t, zipEntry{"index.js", 0o644, "exports.handler = async () => 2;"})
	out := createFn(t, b, &lambda.CreateFunctionInput{FunctionName: aws.String("drift"), Role: aws.String(testRole),
		Description: aws.String("pays"), Architectures: []types.Architecture{types.ArchitectureArm64},
		EphemeralStorage: &types.EphemeralStorage{Size: aws.Int32(1024)}, Code: &types.FunctionCode{ZipFile: zipFile}})
	if aws.ToString(out.Role) != testRole || aws.ToString(out.Description) != "pays" ||
		len(out.Architectures) != 1 || out.Architectures[0] != types.ArchitectureArm64 || aws.ToInt32(out.EphemeralStorage.Size) != 1024 {
		t.Fatalf("CreateFunction = %+v", out)
	}
	if _, err := b.client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("drift"),
		Description: aws.String("pays more")}); err != nil {
		t.Fatal(err)
	}
	gf, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("drift")})
	if err != nil {
		t.Fatal(err)
	}
	c := gf.Configuration
	if aws.ToString(c.Description) != "pays more" || aws.ToString(c.Role) != testRole || c.Architectures[0] != types.ArchitectureArm64 {
		t.Fatalf("GetFunction = %+v", c)
	}
	resp, err := http.Get(aws.ToString(gf.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, zipFile) {
		t.Fatalf("GET Code.Location %s: %d, %d bytes; want the uploaded zip", aws.ToString(gf.Code.Location), resp.StatusCode, len(body))
	}
	time.Sleep(5 * time.Millisecond) // LastModified has millisecond resolution
	if _, err := b.client.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("drift"),
		MaximumRetryAttempts: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	after, err := b.client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("drift")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(after.LastModified) != aws.ToString(c.LastModified) {
		t.Fatalf("LastModified moved with PutFunctionEventInvokeConfig: %s -> %s", aws.ToString(c.LastModified), aws.ToString(after.LastModified))
	}
	// Defaults as Lambda reports them.
	plain := createFn(t, b, &lambda.CreateFunctionInput{FunctionName: aws.String("plain"), Role: aws.String(testRole)})
	if len(plain.Architectures) != 1 || plain.Architectures[0] != types.ArchitectureX8664 || aws.ToInt32(plain.EphemeralStorage.Size) != 512 {
		t.Fatalf("defaults = %+v %+v", plain.Architectures, plain.EphemeralStorage)
	}
	// Role is required (the SDK checks that itself, so ask over raw HTTP).
	srv := httptest.NewServer(b.api.Handler())
	defer srv.Close()
	resp, err = http.Post(srv.URL+"/2015-03-31/functions", "application/json",
		strings.NewReader(`{"FunctionName":"no-role","Runtime":"nodejs20.x","Handler":"index.handler","Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-Errortype") != "ValidationException" {
		t.Fatalf("CreateFunction without Role: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"))
	}
	for _, role := range []*string{aws.String("lambda-role"), aws.String("arn:aws:iam::000000000000:user/bob")} {
		_, err := b.client.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("bad-role"), Role: role,
			Runtime: types.RuntimeNodejs20x, Handler: aws.String("index.handler"), Code: &types.FunctionCode{ZipFile: zipFile}})
		wantCode(t, err, "ValidationException")
	}
}

// TestS3DestinationRefused: an S3 bucket as OnFailure destination is
// refused when configured, with the reason, instead of failing at delivery.
func TestS3DestinationRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	createFn(t, b, &lambda.CreateFunctionInput{FunctionName: aws.String("s3dest"), Role: aws.String(testRole)})
	_, err := b.client.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("s3dest"),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:s3:::failures")}}})
	var bad *types.InvalidParameterValueException
	if !errors.As(err, &bad) || !strings.Contains(bad.ErrorMessage(), "S3 buckets are not supported as destinations") {
		t.Fatalf("S3 OnFailure: %v", err)
	}
	if err := (ferry.AsyncConfig{OnFailure: "arn:aws:s3:::failures"}).Validate(); err == nil || !strings.Contains(ferry.ErrorMessage(err), "S3") {
		t.Fatalf("AsyncConfig.Validate with an S3 OnFailure = %v, want a refusal naming S3", err)
	}
}

// TestRoleLoggedOnce: the first function given a Role logs, once, that
// roles are accepted, not enforced.
func TestRoleLoggedOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var logs bytes.Buffer
	var mu sync.Mutex
	b.api = lambdaapi.New(lambdaapi.Config{Realm: ferry.DefaultRealm, Functions: b.store, Invoker: b.inv, Async: b.inv,
		CodeDir: b.codeDir, Code: b.code, Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))})
	b.client = newClient(t, b.api)
	createFn(t, b, &lambda.CreateFunctionInput{FunctionName: aws.String("r1"), Role: aws.String(testRole)})
	createFn(t, b, &lambda.CreateFunctionInput{FunctionName: aws.String("r2"), Role: aws.String(testRole)})
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logs.String(), "accepted, not enforced"); n != 1 {
		t.Fatalf("logged %d times, want once:\n%s", n, logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
