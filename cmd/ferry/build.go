package main

import (
	"context"
	"fmt"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/build"
	"github.com/ferry-run/ferry/stack"
)

// buildStack builds every function that declares a build and points its
// code folder at the artifact, kept in the build cache outside the project.
// A failed build stops `ferry up` with the tool's output.
func buildStack(ctx context.Context, st *stack.Stack) error {
	for i := range st.Functions {
		if st.Functions[i].Build == nil {
			continue
		}
		dir, err := rebuild(ctx, &st.Functions[i])
		if err != nil {
			return err
		}
		st.Functions[i].CodeDir = dir
	}
	return nil
}

// rebuild builds one function and returns its artifact folder.
func rebuild(ctx context.Context, fn *stack.Function) (string, error) {
	cache, err := build.DefaultCache()
	if err != nil {
		return "", err
	}
	entry := ""
	if fam, _ := ferry.RuntimeFamily(fn.Runtime); fam == ferry.RuntimeFamilyProvided {
		entry = "bootstrap"
	} else if fam == ferry.RuntimeFamilyNode {
		entry = build.NodeEntry(fn.Handler, fn.Build.Format)
	}
	dir, _, err := (&build.Builder{Cache: cache}).Build(ctx, build.Spec{
		Method: fn.Build.Method, LogicalID: fn.LogicalID, SourceDir: fn.Build.Dir, Arch: fn.Build.Arch, Entry: entry,
		Esbuild: build.Esbuild{EntryPoints: fn.Build.EntryPoints, Format: fn.Build.Format, Target: fn.Build.Target,
			Minify: fn.Build.Minify, Sourcemap: fn.Build.Sourcemap, External: fn.Build.External},
	})
	if err != nil {
		return "", fmt.Errorf("%s: function %s: %w", fn.Build.Source, fn.LogicalID, err)
	}
	return dir, nil
}
