package ferry_test

import (
	"os/exec"
	"strings"
	"testing"
)

// allowedSiblings are the imports between Ferry's own packages other than
// the root package: an adapter may use the service it adapts, services use
// the engine and the matcher. Everything else is wired in cmd/ferry.
var allowedSiblings = map[string][]string{
	"async":         {"natsjs"},
	"bus":           {"natsjs", "pattern"},
	"catalog":       {"natsjs"},
	"history":       {"natsjs"},
	"queue":         {"natsjs"},
	"schedule":      {"natsjs"},
	"resmeta":       {"natsjs"},
	"topic":         {"natsjs", "pattern"},
	"trigger":       {"natsjs"},
	"sandbox":       {"rapi", "supervisor"},
	"awsapi/events": {"bus", "pattern"},
	"awsapi/lambda": {"trigger"},
	"awsapi/sns":    {"topic"},
	"awsapi/sqs":    {"queue"},
}

// TestImportRules keeps the layout true: the root package imports only the
// standard library, and siblings import each other only as listed above.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/ferry-run/ferry"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], mod), "/")
		if strings.HasPrefix(pkg, "cmd/") || strings.Contains(pkg, "internal/") || strings.HasPrefix(pkg, "internal") {
			continue
		}
		allowed := map[string]bool{}
		for _, a := range allowedSiblings[pkg] {
			allowed[a] = true
		}
		for _, imp := range fields[1:] {
			if pkg == "" && strings.Contains(strings.Split(imp, "/")[0], ".") {
				t.Errorf("the root package imports %s; it may use the standard library only", imp)
			}
			if !strings.HasPrefix(imp, mod+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, mod+"/")
			if !allowed[dep] {
				t.Errorf("%s imports %s; wire them in cmd/ferry instead (or list the import in deps_test.go)", pkg, dep)
			}
		}
	}
}
