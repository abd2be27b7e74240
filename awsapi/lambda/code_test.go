package lambdaapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

type zipEntry struct {
	name string
	mode fs.FileMode
	body string
}

func buildZip(t *testing.T, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCreateFunctionThenGet(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	zipFile := buildZip(t,
		zipEntry{name: "bootstrap", mode: 0o755, body: "#!/bin/sh\n"},
		zipEntry{name: "lib/", mode: fs.ModeDir | 0o755},
		zipEntry{name: "lib/data.json", mode: 0o600, body: `{"a":1}`},
		zipEntry{name: "lib/link.json", mode: fs.ModeSymlink | 0o777, body: "data.json"},
	)
	created, err := b.client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName:     aws.String("notifyCustomer"),
		Runtime:          types.RuntimeProvidedal2023,
		Handler:          aws.String("bootstrap"),
		Role:             aws.String("arn:aws:iam::000000000000:role/lambda"),
		Code:             &types.FunctionCode{ZipFile: zipFile},
		MemorySize:       aws.Int32(512),
		Timeout:          aws.Int32(30),
		Environment:      &types.Environment{Variables: map[string]string{"TABLE": "orders"}},
		DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String(queueFail)},
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(zipFile)
	wantSha := base64.StdEncoding.EncodeToString(sum[:])
	if aws.ToString(created.CodeSha256) != wantSha || created.CodeSize != int64(len(zipFile)) {
		t.Errorf("CodeSha256 %q size %d, want %q %d", aws.ToString(created.CodeSha256), created.CodeSize, wantSha, len(zipFile))
	}

	got, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("notifyCustomer")})
	if err != nil {
		t.Fatal(err)
	}
	c := got.Configuration
	if aws.ToInt32(c.MemorySize) != 512 || aws.ToInt32(c.Timeout) != 30 || c.Environment.Variables["TABLE"] != "orders" ||
		aws.ToString(c.DeadLetterConfig.TargetArn) != queueFail || aws.ToString(c.CodeSha256) != wantSha {
		t.Errorf("GetFunction = %+v", c)
	}

	fn := b.function(t, "notifyCustomer")
	if filepath.Dir(fn.CodeDir) != filepath.Join(b.codeDir, "notifyCustomer") {
		t.Fatalf("CodeDir %q is not under %q", fn.CodeDir, b.codeDir)
	}
	if fi, err := os.Stat(filepath.Join(fn.CodeDir, "bootstrap")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("bootstrap: %v %v, want mode 0755", fi, err)
	}
	if fi, err := os.Stat(filepath.Join(fn.CodeDir, "lib", "data.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lib/data.json: %v %v, want mode 0600", fi, err)
	}
	if data, err := os.ReadFile(filepath.Join(fn.CodeDir, "lib", "link.json")); err != nil || string(data) != `{"a":1}` {
		t.Errorf("lib/link.json through the symlink: %q %v", data, err)
	}

	_, err = b.client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("notifyCustomer"), Runtime: types.RuntimeProvidedal2023,
		Role: aws.String("arn:aws:iam::000000000000:role/lambda"), Code: &types.FunctionCode{ZipFile: zipFile},
	})
	wantErr[*types.ResourceConflictException](t, err)

	// UpdateFunctionCode: a new revision, a new Modified.
	oldDir, oldModified := fn.CodeDir, fn.Modified
	zip2 := buildZip(t, zipEntry{name: "bootstrap", mode: 0o755, body: "#!/bin/sh\necho v2\n"})
	upd, err := b.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("notifyCustomer"), ZipFile: zip2})
	if err != nil {
		t.Fatal(err)
	}
	sum2 := sha256.Sum256(zip2)
	if aws.ToString(upd.CodeSha256) != base64.StdEncoding.EncodeToString(sum2[:]) {
		t.Errorf("CodeSha256 after update %q", aws.ToString(upd.CodeSha256))
	}
	fn = b.function(t, "notifyCustomer")
	if fn.CodeDir == oldDir || !fn.Modified.After(oldModified) {
		t.Errorf("update kept CodeDir %q / Modified %v", fn.CodeDir, fn.Modified)
	}
	if data, err := os.ReadFile(filepath.Join(fn.CodeDir, "bootstrap")); err != nil || string(data) != "#!/bin/sh\necho v2\n" {
		t.Errorf("new bootstrap %q %v", data, err)
	}
	if _, err := os.Stat(oldDir); err != nil {
		t.Errorf("previous revision removed while instances may still use it: %v", err)
	}

	// UpdateFunctionConfiguration merges.
	conf, err := b.client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("notifyCustomer"), MemorySize: aws.Int32(1024),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(conf.MemorySize) != 1024 || aws.ToInt32(conf.Timeout) != 30 || conf.Environment.Variables["TABLE"] != "orders" {
		t.Errorf("UpdateFunctionConfiguration = %+v", conf)
	}
	_, err = b.client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("notifyCustomer"), Timeout: aws.Int32(901),
	})
	wantErr[*types.InvalidParameterValueException](t, err)

	if _, err := b.client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("notifyCustomer")}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(b.codeDir, "notifyCustomer")); !os.IsNotExist(err) {
		t.Errorf("code left after DeleteFunction: %v", err)
	}
}

func TestCreateFunctionRejects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	good := buildZip(t, zipEntry{name: "index.js", mode: 0o644, body: "exports.handler=async()=>1"})
	base := func() *lambda.CreateFunctionInput {
		return &lambda.CreateFunctionInput{FunctionName: aws.String("bad"), Runtime: types.RuntimeNodejs20x,
			Handler: aws.String("index.handler"), Role: aws.String("arn:aws:iam::000000000000:role/lambda"), Code: &types.FunctionCode{ZipFile: good}}
	}
	cases := []struct {
		name string
		mod  func(in *lambda.CreateFunctionInput)
	}{
		{"memory too small", func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(64) }},
		{"memory too large", func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(10241) }},
		{"timeout zero", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(0) }},
		{"unsupported runtime", func(in *lambda.CreateFunctionInput) { in.Runtime = types.RuntimeJava21 }},
		{"s3 code", func(in *lambda.CreateFunctionInput) {
			in.Code = &types.FunctionCode{S3Bucket: aws.String("b"), S3Key: aws.String("k")}
		}},
		{"reserved env", func(in *lambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"AWS_REGION": "x"}}
		}},
		{"dlq not a queue", func(in *lambda.CreateFunctionInput) {
			in.DeadLetterConfig = &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:lambda:us-east-1:000000000000:function:x")}
		}},
		{"not a zip", func(in *lambda.CreateFunctionInput) { in.Code = &types.FunctionCode{ZipFile: []byte("plain text")} }},
		{"path traversal", func(in *lambda.CreateFunctionInput) {
			in.Code = &types.FunctionCode{ZipFile: buildZip(t, zipEntry{name: "../../evil.sh", mode: 0o755, body: "x"})}
		}},
		{"absolute path", func(in *lambda.CreateFunctionInput) {
			in.Code = &types.FunctionCode{ZipFile: buildZip(t, zipEntry{name: "/tmp/evil.sh", mode: 0o755, body: "x"})}
		}},
		{"symlink out", func(in *lambda.CreateFunctionInput) {
			in.Code = &types.FunctionCode{ZipFile: buildZip(t, zipEntry{name: "passwd", mode: fs.ModeSymlink | 0o777, body: "../../../etc/passwd"})}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := base()
			c.mod(in)
			_, err := b.client.CreateFunction(ctx, in)
			wantErr[*types.InvalidParameterValueException](t, err)
		})
	}
	if _, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("bad")}); err == nil {
		t.Error("a rejected function was created")
	}
	// Nothing was written outside the code directory, and no revision was left behind.
	entries, _ := os.ReadDir(filepath.Join(b.codeDir, "bad"))
	if len(entries) != 0 {
		t.Errorf("leftover revisions: %v", entries)
	}
	for _, p := range []string{filepath.Join(b.codeDir, "evil.sh"), filepath.Join(filepath.Dir(b.codeDir), "evil.sh")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("path traversal wrote %s: %v", p, err)
		}
	}
	if _, err := b.client.CreateFunction(ctx, base()); err != nil {
		t.Fatalf("valid create after rejects: %v", err)
	}
}
