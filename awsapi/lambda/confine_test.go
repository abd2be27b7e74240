package lambdaapi_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func link(name, target string) zipEntry {
	return zipEntry{name: name, mode: fs.ModeSymlink | 0o777, body: target}
}

// TestZipSymlinksConfined: every symlink of a code zip, followed through
// the links it passes, must stay inside the function's folder.
func TestZipSymlinksConfined(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	index := zipEntry{name: "index.js", mode: 0o644, body: "exports.handler=async()=>1"}
	refused := []struct {
		name    string
		entries []zipEntry
		want    string
	}{
		// sub/up is the folder itself; sub/up/esc lands in the folder and
		// points two levels up, though each link alone looks local.
		{"chain through a parent link", []zipEntry{index, {name: "sub/", mode: fs.ModeDir | 0o755}, link("sub/up", ".."), link("sub/up/esc", "../..")}, `symlink "esc" points outside`},
		{"chain through a later link", []zipEntry{index, link("a", "b/.."), link("b", ".")}, `symlink "a" points outside`},
		{"chain a -> b -> out", []zipEntry{index, {name: "d/", mode: fs.ModeDir | 0o755}, link("d/x", ".."), link("a", "d/x/../etc")}, `symlink "a" points outside`},
		{"loop", []zipEntry{index, link("l1", "l2"), link("l2", "l1")}, "symlink loop"},
		{"direct", []zipEntry{index, link("passwd", "../../../etc/passwd")}, "points outside"},
	}
	for i, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			name := "sym" + string(rune('a'+i))
			_, err := b.client.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: types.RuntimeNodejs20x,
				Handler: aws.String("index.handler"), Role: aws.String("arn:aws:iam::000000000000:role/lambda"), Code: &types.FunctionCode{ZipFile: buildZip(t, c.entries...)}})
			e := wantErr[*types.InvalidParameterValueException](t, err)
			if !strings.Contains(e.ErrorMessage(), c.want) {
				t.Errorf("message %q, want it to contain %q", e.ErrorMessage(), c.want)
			}
			if entries, _ := os.ReadDir(filepath.Join(b.codeDir, name)); len(entries) != 0 {
				t.Errorf("a refused zip left %v behind", entries)
			}
		})
	}

	t.Run("internal links work", func(t *testing.T) {
		zipFile := buildZip(t, index,
			zipEntry{name: "lib/data.json", mode: 0o644, body: `{"a":1}`},
			link("lib/a.json", "b.json"), link("lib/b.json", "../lib/data.json"),
			link("self", "."), link("libdir", "lib"))
		out, err := b.client.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("symok"), Runtime: types.RuntimeNodejs20x,
			Handler: aws.String("index.handler"), Role: aws.String("arn:aws:iam::000000000000:role/lambda"), Code: &types.FunctionCode{ZipFile: zipFile}})
		if err != nil {
			t.Fatal(err)
		}
		fn, err := b.store.GetFunction(ctx, *out.FunctionName)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"lib/a.json", "libdir/b.json", "self/libdir/data.json"} {
			if data, err := os.ReadFile(filepath.Join(fn.CodeDir, p)); err != nil || string(data) != `{"a":1}` {
				t.Errorf("%s: %q %v", p, data, err)
			}
		}
	})
}

// TestHandlerMustBeRelative: an absolute or escaping Handler is refused by
// CreateFunction and UpdateFunctionConfiguration.
func TestHandlerMustBeRelative(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	zipFile := buildZip(t, zipEntry{name: "index.js", mode: 0o644, body: "exports.handler=async()=>1"})
	for _, h := range []string{"/etc/passwd.handler", "/tmp/code/index.handler", "../other/index.handler", "lib/../../index.handler"} {
		_, err := b.client.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("h"), Runtime: types.RuntimeNodejs20x,
			Handler: aws.String(h), Role: aws.String("arn:aws:iam::000000000000:role/lambda"), Code: &types.FunctionCode{ZipFile: zipFile}})
		e := wantErr[*types.InvalidParameterValueException](t, err)
		if !strings.Contains(e.ErrorMessage(), "Handler") {
			t.Errorf("CreateFunction with Handler %q: message %q does not name the Handler", h, e.ErrorMessage())
		}
	}
	if _, err := b.client.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("h"), Runtime: types.RuntimeNodejs20x,
		Handler: aws.String("index.handler"), Role: aws.String("arn:aws:iam::000000000000:role/lambda"), Code: &types.FunctionCode{ZipFile: zipFile}}); err != nil {
		t.Fatal(err)
	}
	_, err := b.client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("h"),
		Handler: aws.String("/etc/passwd.handler")})
	wantErr[*types.InvalidParameterValueException](t, err)
	fn, err := b.store.GetFunction(ctx, "h")
	if err != nil || fn.Handler != "index.handler" {
		t.Errorf("after a refused update the handler is %q (%v), want index.handler", fn.Handler, err)
	}
}
