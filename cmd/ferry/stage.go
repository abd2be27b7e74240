package main

import (
	"strings"

	"github.com/ferry-run/ferry/gateway"
	"github.com/ferry-run/ferry/stack"
)

// stageNote names the path API Gateway serves a route at when its API's
// stage is part of the URL (Ferry answers both).
func stageNote(r gateway.Route) string {
	if r.Stage == "" || r.Stage == stack.StageDefault || strings.HasPrefix(r.Path, "$") || r.Path == "*" {
		return ""
	}
	return " (also /" + r.Stage + r.Path + ")"
}
