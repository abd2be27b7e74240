package stack_test

import (
	"strings"
	"testing"

	"github.com/ferry-run/ferry/stack"
)

const samBuildTmpl = `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: METHOD
    Properties:
      Handler: bootstrap
      Runtime: provided.al2023
      Architectures: [arm64]
`

// TestSAMBuildMetadata reads Metadata.BuildMethod and the architecture, and
// refuses a build method Ferry does not run, at its line.
func TestSAMBuildMetadata(t *testing.T) {
	p := writeStack(t, "template.yaml", strings.Replace(samBuildTmpl, "METHOD", "go1.x", 1))
	st, _, err := stack.LoadFile(p, setup(t))
	if err != nil {
		t.Fatal(err)
	}
	b := st.Functions[0].Build
	if b == nil || b.Method != "go1.x" || b.Arch != "arm64" || !strings.HasSuffix(b.Source, "template.yaml:4") || b.Dir == "" {
		t.Fatalf("build = %+v", b)
	}
	p = writeStack(t, "template.yaml", strings.Replace(samBuildTmpl, "METHOD", "rust-cargolambda", 1))
	_, _, err = stack.LoadFile(p, setup(t))
	if err == nil || !strings.Contains(err.Error(), `template.yaml:6:20: Resources.Fn.Metadata.BuildMethod: "rust-cargolambda" is not supported`) {
		t.Fatalf("err = %v", err)
	}
}
