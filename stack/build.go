package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Build is a function's declared build (SAM Metadata BuildMethod). Ferry
// builds it before starting the function and points CodeDir at the artifact.
type Build struct {
	Method string `json:"method"`         // go1.x or makefile
	Arch   string `json:"arch,omitempty"` // x86_64 (default) or arm64
	Source string `json:"source"`         // file:line of the function, for errors
	Dir    string `json:"dir"`            // the source folder (CodeUri) the build reads
	// esbuild's BuildProperties
	EntryPoints []string `json:"entryPoints,omitempty"`
	Format      string   `json:"format,omitempty"`
	Target      string   `json:"target,omitempty"`
	Minify      bool     `json:"minify,omitempty"`
	Sourcemap   bool     `json:"sourcemap,omitempty"`
	External    []string `json:"external,omitempty"`
}

// Build methods Ferry runs.
var buildMethods = map[string]bool{"go1.x": true, "makefile": true, "esbuild": true}

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
		l.fail(bm, "%s.BuildMethod: %q is not supported (use go1.x, makefile or esbuild)", path, m)
	}
	b := &Build{Method: m, Arch: "x86_64", Source: fmt.Sprintf("%s:%d", l.file, r.node.Line), Dir: f.CodeDir}
	if arch != nil {
		if list := l.strList(arch, path); len(list) > 0 {
			b.Arch = list[0]
		}
	}
	if bp := mapGet(md, "BuildProperties"); bp != nil {
		pp := path + ".BuildProperties"
		l.checkKeys(bp, pp, "EntryPoints Format Target Minify Sourcemap External", "")
		if v := mapGet(bp, "EntryPoints"); v != nil {
			b.EntryPoints = l.strList(v, pp+".EntryPoints")
		}
		if v := mapGet(bp, "Format"); v != nil {
			b.Format = l.str(v, pp+".Format")
		}
		if v := mapGet(bp, "Target"); v != nil {
			b.Target = l.str(v, pp+".Target")
		}
		if v := mapGet(bp, "Minify"); v != nil {
			b.Minify = l.bool(v, pp+".Minify")
		}
		if v := mapGet(bp, "Sourcemap"); v != nil {
			b.Sourcemap = l.bool(v, pp+".Sourcemap")
		}
		if v := mapGet(bp, "External"); v != nil {
			b.External = l.strList(v, pp+".External")
		}
	}
	if m == "esbuild" && len(b.EntryPoints) == 0 {
		l.fail(bm, "%s: BuildMethod esbuild needs BuildProperties.EntryPoints", path)
	}
	f.Build = b
}

// slsEsbuild gives a serverless function an esbuild build when the
// serverless-esbuild plugin is on: the entry is the handler's file, the
// options come from custom.esbuild.
func (l *loader) slsEsbuild(f *Function, n *yaml.Node) {
	plugins := mapGet(l.raw, "plugins")
	if plugins != nil && plugins.Kind == yaml.MappingNode {
		plugins = mapGet(plugins, "modules")
	}
	on := false
	if plugins != nil && plugins.Kind == yaml.SequenceNode {
		for _, p := range plugins.Content {
			on = on || p.Value == "serverless-esbuild"
		}
	}
	if !on {
		return
	}
	mod := f.Handler[:strings.LastIndex(f.Handler, ".")]
	b := &Build{Method: "esbuild", Arch: "x86_64", Source: fmt.Sprintf("%s:%d", l.file, n.Line), Dir: l.dir}
	for _, ext := range []string{".ts", ".mts", ".js", ".mjs", ".cjs"} {
		if fi, err := os.Stat(filepath.Join(l.dir, filepath.FromSlash(mod+ext))); err == nil && !fi.IsDir() {
			b.EntryPoints = []string{mod + ext}
			break
		}
	}
	if b.EntryPoints == nil {
		l.fail(n, "the handler %s has no file %s.ts or %s.js for serverless-esbuild", f.Handler, mod, mod)
	}
	if c := mapGet(mapGet(l.raw, "custom"), "esbuild"); c != nil {
		if v := mapGet(c, "minify"); v != nil {
			b.Minify = v.Value == "true"
		}
		if v := mapGet(c, "sourcemap"); v != nil {
			b.Sourcemap = v.Value == "true"
		}
		if v := mapGet(c, "target"); v != nil {
			b.Target = v.Value
		}
		if v := mapGet(c, "format"); v != nil {
			b.Format = v.Value
		}
		if v := mapGet(c, "external"); v != nil && v.Kind == yaml.SequenceNode {
			for _, x := range v.Content {
				b.External = append(b.External, x.Value)
			}
		}
	}
	f.Build = b
}
