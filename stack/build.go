package stack

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Build is a function's declared build (SAM Metadata BuildMethod). Ferry
// builds it before starting the function and points CodeDir at the artifact.
type Build struct {
	Method string `json:"method"`         // go1.x or makefile
	Arch   string `json:"arch,omitempty"` // x86_64 (default) or arm64
	Source string `json:"source"`         // file:line of the function, for errors
	Dir    string `json:"dir"`            // the source folder (CodeUri) the build reads
}

// Build methods Ferry runs.
var buildMethods = map[string]bool{"go1.x": true, "makefile": true}

// samBuild reads Metadata.BuildMethod of a SAM function.
func (l *loader) samBuild(r *resource, f *Function, arch *yaml.Node) {
	md := mapGet(r.node, "Metadata")
	if md == nil {
		return
	}
	path := l.resPath + "." + r.id + ".Metadata"
	bm := mapGet(md, "BuildMethod")
	if bm == nil {
		return
	}
	m := l.str(bm, path+".BuildMethod")
	if !buildMethods[m] {
		l.fail(bm, "%s.BuildMethod: %q is not supported (use go1.x or makefile)", path, m)
	}
	b := &Build{Method: m, Arch: "x86_64", Source: fmt.Sprintf("%s:%d", l.file, r.node.Line), Dir: f.CodeDir}
	if arch != nil {
		if list := l.strList(arch, path); len(list) > 0 {
			b.Arch = list[0]
		}
	}
	f.Build = b
}
