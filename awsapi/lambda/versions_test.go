package lambdaapi_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ferry-run/ferry"
	lambdaapi "github.com/ferry-run/ferry/awsapi/lambda"
)

// TestVersionsAndAliases: Publish on create and update, PublishVersion,
// ListVersionsByFunction, the alias operations, qualified reads, and
// invoke by version or alias while it is $LATEST (an older one is refused
// by name, as is weighted routing).
func TestVersionsAndAliases(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.api = lambdaapi.New(lambdaapi.Config{Realm: ferry.DefaultRealm, Functions: b.store, Invoker: b.inv, Async: b.inv,
		CodeDir: b.codeDir, Code: b.code, Versions: lambdaapi.NewKVVersionStore(b.engine)})
	b.client = newClient(t, b.api)
	ctx := context.Background()
	zip := func(body string) []byte { return buildZip(t, zipEntry{"index.js", 0o644, body}) }
	created := createFn(t, b, &lambda.CreateFunctionInput{FunctionName: aws.String("v"), Role: aws.String(testRole), Publish: true,
		Code: &types.FunctionCode{ZipFile: zip("exports.handler = async () => 1;")}})
	if aws.ToString(created.Version) != "1" || aws.ToString(created.FunctionArn) != ferry.DefaultRealm.FunctionARN("v")+":1" {
		t.Fatalf("CreateFunction Publish = version %s, arn %s", aws.ToString(created.Version), aws.ToString(created.FunctionArn))
	}
	again, err := b.client.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("v")})
	if err != nil || aws.ToString(again.Version) != "1" {
		t.Fatalf("PublishVersion with nothing changed = %v, %v; want version 1 again", again, err)
	}
	up, err := b.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("v"), Publish: true,
		ZipFile: zip("exports.handler = async () => 2;")})
	if err != nil || aws.ToString(up.Version) != "2" {
		t.Fatalf("UpdateFunctionCode Publish = %v, %v; want version 2", up, err)
	}
	lv, err := b.client.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("v")})
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, c := range lv.Versions {
		vs = append(vs, aws.ToString(c.Version))
	}
	if strings.Join(vs, ",") != "$LATEST,1,2" {
		t.Fatalf("ListVersionsByFunction = %v", vs)
	}
	al, err := b.client.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("v"), Name: aws.String("live"), FunctionVersion: aws.String("2")})
	if err != nil || aws.ToString(al.AliasArn) != ferry.DefaultRealm.FunctionARN("v")+":live" {
		t.Fatalf("CreateAlias = %v, %v", al, err)
	}
	_, err = b.client.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("v"), Name: aws.String("live"), FunctionVersion: aws.String("2")})
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) {
		t.Fatalf("CreateAlias twice: %v", err)
	}
	_, err = b.client.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("v"), Name: aws.String("canary"), FunctionVersion: aws.String("2"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.1}}})
	var bad *types.InvalidParameterValueException
	if !errors.As(err, &bad) || !strings.Contains(bad.ErrorMessage(), "RoutingConfig") {
		t.Fatalf("CreateAlias with routing: %v", err)
	}
	// Invoke by alias and by version while it is $LATEST.
	for _, q := range []string{"live", "2", "$LATEST"} {
		out, err := b.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("v"), Qualifier: aws.String(q), Payload: []byte(`{}`)})
		if err != nil {
			t.Fatalf("Invoke %s: %v", q, err)
		}
		want := "2"
		if q == "$LATEST" {
			want = "$LATEST"
		}
		if aws.ToString(out.ExecutedVersion) != want {
			t.Errorf("Invoke %s: ExecutedVersion %s, want %s", q, aws.ToString(out.ExecutedVersion), want)
		}
	}
	if _, err := b.client.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("v"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	gc, err := b.client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("v"), Qualifier: aws.String("live")})
	if err != nil || aws.ToString(gc.Version) != "1" || aws.ToString(gc.CodeSha256) != aws.ToString(created.CodeSha256) {
		t.Fatalf("GetFunctionConfiguration live = %v, %v; want version 1's", gc, err)
	}
	_, err = b.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("v"), Qualifier: aws.String("live")})
	if !errors.As(err, &bad) || !strings.Contains(bad.ErrorMessage(), "version 1 of v is older") {
		t.Fatalf("Invoke of an older version: %v", err)
	}
	la, err := b.client.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("v")})
	if err != nil || len(la.Aliases) != 1 || aws.ToString(la.Aliases[0].FunctionVersion) != "1" {
		t.Fatalf("ListAliases = %v, %v", la, err)
	}
	if _, err := b.client.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("v"), Name: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	_, err = b.client.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("v"), Name: aws.String("live")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("GetAlias after delete: %v", err)
	}
	_, err = b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("v"), Qualifier: aws.String("7")})
	if !errors.As(err, &nf) {
		t.Fatalf("GetFunction of a version that does not exist: %v", err)
	}
}
