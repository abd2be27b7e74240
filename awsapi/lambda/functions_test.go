package lambdaapi_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ferry-run/ferry"
)

func TestGetAndListFunctions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	b.putFunction(t, &ferry.Function{Name: "alpha", Runtime: "nodejs20.x", Handler: "index.handler", Memory: 256,
		Timeout: 10 * time.Second, Env: map[string]string{"STAGE": "dev"}, DeadLetterTarget: queueFail})
	b.putFunction(t, &ferry.Function{Name: "beta"})
	b.putFunction(t, &ferry.Function{Name: "gamma"})

	got, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("alpha")})
	if err != nil {
		t.Fatal(err)
	}
	c := got.Configuration
	if aws.ToString(c.FunctionName) != "alpha" || aws.ToString(c.FunctionArn) != "arn:aws:lambda:us-east-1:000000000000:function:alpha" ||
		c.Runtime != types.RuntimeNodejs20x || aws.ToString(c.Handler) != "index.handler" || aws.ToInt32(c.MemorySize) != 256 ||
		aws.ToInt32(c.Timeout) != 10 || aws.ToString(c.Version) != "$LATEST" || c.State != types.StateActive ||
		c.LastUpdateStatus != types.LastUpdateStatusSuccessful || c.PackageType != types.PackageTypeZip {
		t.Errorf("Configuration = %+v", c)
	}
	if c.Environment == nil || c.Environment.Variables["STAGE"] != "dev" {
		t.Errorf("Environment = %+v", c.Environment)
	}
	if c.DeadLetterConfig == nil || aws.ToString(c.DeadLetterConfig.TargetArn) != queueFail {
		t.Errorf("DeadLetterConfig = %+v", c.DeadLetterConfig)
	}
	modified := b.function(t, "alpha").Modified
	if lm, err := time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(c.LastModified)); err != nil || !lm.Equal(modified.Truncate(time.Millisecond)) {
		t.Errorf("LastModified = %q (%v), want %v", aws.ToString(c.LastModified), err, modified)
	}

	conf, err := b.client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("beta")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(conf.MemorySize) != 128 || aws.ToInt32(conf.Timeout) != 3 || conf.Runtime != types.RuntimeProvidedal2023 {
		t.Errorf("defaults: memory %d timeout %d runtime %s", aws.ToInt32(conf.MemorySize), aws.ToInt32(conf.Timeout), conf.Runtime)
	}

	var names []string
	var marker *string
	pages := 0
	for {
		out, err := b.client.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(2), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, f := range out.Functions {
			names = append(names, aws.ToString(f.FunctionName))
		}
		if out.NextMarker == nil {
			break
		}
		marker = out.NextMarker
	}
	if pages != 2 || len(names) != 3 || names[0] != "alpha" || names[1] != "beta" || names[2] != "gamma" {
		t.Errorf("listed %v in %d pages, want alpha beta gamma in 2", names, pages)
	}

	_, err = b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("missing")})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = b.client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("alpha"), Qualifier: aws.String("3")})
	wantErr[*types.ResourceNotFoundException](t, err)

	if _, err := b.client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("beta")}); err != nil {
		t.Fatal(err)
	}
	_, err = b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("beta")})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = b.client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("beta")})
	wantErr[*types.ResourceNotFoundException](t, err)
}

func TestConcurrencyRecursionPermission(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	b.putFunction(t, &ferry.Function{Name: "f"})
	name := aws.String("f")

	gc, err := b.client.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: name})
	if err != nil || gc.ReservedConcurrentExecutions != nil {
		t.Fatalf("initial concurrency %v, %v", gc, err)
	}
	pc, err := b.client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: name, ReservedConcurrentExecutions: aws.Int32(5)})
	if err != nil || aws.ToInt32(pc.ReservedConcurrentExecutions) != 5 {
		t.Fatalf("put concurrency %v, %v", pc, err)
	}
	if rc := b.function(t, "f").ReservedConcurrency; rc == nil || *rc != 5 {
		t.Errorf("stored reserved concurrency %v", rc)
	}
	gf, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: name})
	if err != nil || gf.Concurrency == nil || aws.ToInt32(gf.Concurrency.ReservedConcurrentExecutions) != 5 {
		t.Errorf("GetFunction concurrency %+v, %v", gf.Concurrency, err)
	}
	gc, err = b.client.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: name})
	if err != nil || aws.ToInt32(gc.ReservedConcurrentExecutions) != 5 {
		t.Errorf("get concurrency %v, %v", gc, err)
	}
	_, err = b.client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: name, ReservedConcurrentExecutions: aws.Int32(-1)})
	wantErr[*types.InvalidParameterValueException](t, err)
	if _, err := b.client.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: name}); err != nil {
		t.Fatal(err)
	}
	if rc := b.function(t, "f").ReservedConcurrency; rc != nil {
		t.Errorf("reserved concurrency after delete = %d", *rc)
	}

	gr, err := b.client.GetFunctionRecursionConfig(ctx, &lambda.GetFunctionRecursionConfigInput{FunctionName: name})
	if err != nil || gr.RecursiveLoop != types.RecursiveLoopTerminate {
		t.Errorf("default recursion %v, %v", gr, err)
	}
	pr, err := b.client.PutFunctionRecursionConfig(ctx, &lambda.PutFunctionRecursionConfigInput{FunctionName: name, RecursiveLoop: types.RecursiveLoopAllow})
	if err != nil || pr.RecursiveLoop != types.RecursiveLoopAllow {
		t.Errorf("put recursion %v, %v", pr, err)
	}
	if got := b.function(t, "f").RecursiveLoop; got != ferry.RecursiveLoopAllow {
		t.Errorf("stored RecursiveLoop %q", got)
	}
	_, err = b.client.PutFunctionRecursionConfig(ctx, &lambda.PutFunctionRecursionConfigInput{FunctionName: name, RecursiveLoop: "Sometimes"})
	wantErr[*types.InvalidParameterValueException](t, err)

	ap, err := b.client.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: name, StatementId: aws.String("sns"), Action: aws.String("lambda:InvokeFunction"),
		Principal: aws.String("sns.amazonaws.com"), SourceArn: aws.String("arn:aws:sns:us-east-1:000000000000:payments"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var stmt struct {
		Sid       string
		Effect    string
		Principal map[string]string
		Resource  string
	}
	if err := json.Unmarshal([]byte(aws.ToString(ap.Statement)), &stmt); err != nil {
		t.Fatalf("Statement %q: %v", aws.ToString(ap.Statement), err)
	}
	if stmt.Sid != "sns" || stmt.Effect != "Allow" || stmt.Principal["Service"] != "sns.amazonaws.com" ||
		stmt.Resource != "arn:aws:lambda:us-east-1:000000000000:function:f" {
		t.Errorf("Statement = %+v", stmt)
	}
	_, err = b.client.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("ghost"),
		StatementId: aws.String("x"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("sns.amazonaws.com")})
	wantErr[*types.ResourceNotFoundException](t, err)
}
