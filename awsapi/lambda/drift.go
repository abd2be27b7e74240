package lambdaapi

import (
	"regexp"
	"slices"

	"github.com/ferry-run/ferry"
)

// Fields deployment tools set and compare for drift. Ferry stores and
// returns them exactly; it has no IAM (Role is checked as an ARN only),
// runs functions on the host's architecture and gives them the host's /tmp.

// rolePattern is Lambda's model constraint on FunctionConfiguration.Role.
var rolePattern = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)

// Defaults Lambda reports when a function did not set them.
const (
	defaultArchitecture       = "x86_64"
	defaultEphemeralMB        = 512
	minEphemeralMB            = 512
	maxEphemeralMB            = 10240
	maxFunctionDescriptionLen = 256
)

type ephemeralStorage struct {
	Size int `json:"Size"`
}

// driftSettings are the members of CreateFunction and
// UpdateFunctionConfiguration Ferry stores without acting on them.
type driftSettings struct {
	Role             *string           `json:"Role"`
	Description      *string           `json:"Description"`
	Architectures    []string          `json:"Architectures"`
	EphemeralStorage *ephemeralStorage `json:"EphemeralStorage"`
}

func (d *driftSettings) validate() error {
	if d.Role != nil && !rolePattern.MatchString(*d.Role) {
		v := *d.Role
		if len(v) > 256 {
			v = v[:256] + "..."
		}
		return ferry.Errorf(eValidation, "1 validation error detected: Value '%s' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: %s",
			v, `arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`)
	}
	if d.Description != nil && len(*d.Description) > maxFunctionDescriptionLen {
		return ferry.Errorf(eValidation, "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to %d", maxFunctionDescriptionLen)
	}
	if d.Architectures != nil {
		if len(d.Architectures) != 1 || (d.Architectures[0] != "x86_64" && d.Architectures[0] != "arm64") {
			return ferry.Errorf(eValidation, "1 validation error detected: Value %q at 'architectures' failed to satisfy constraint: Member must have length 1 and be one of [x86_64, arm64]", d.Architectures)
		}
	}
	if e := d.EphemeralStorage; e != nil && (e.Size < minEphemeralMB || e.Size > maxEphemeralMB) {
		return ferry.Errorf(eValidation, "1 validation error detected: Value '%d' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value between %d and %d", e.Size, minEphemeralMB, maxEphemeralMB)
	}
	return nil
}

func (d *driftSettings) apply(fn *ferry.Function) {
	if d.Role != nil {
		fn.Role = *d.Role
	}
	if d.Description != nil {
		fn.Description = *d.Description
	}
	if d.Architectures != nil {
		fn.Architectures = slices.Clone(d.Architectures)
	}
	if d.EphemeralStorage != nil {
		fn.EphemeralStorageMB = d.EphemeralStorage.Size
	}
}

// driftFields are those fields on a FunctionConfiguration.
type driftFields struct {
	Role             string            `json:"Role,omitempty"`
	Description      string            `json:"Description"`
	Architectures    []string          `json:"Architectures"`
	EphemeralStorage *ephemeralStorage `json:"EphemeralStorage"`
}

func driftOf(fn *ferry.Function) driftFields {
	out := driftFields{Role: fn.Role, Description: fn.Description, Architectures: fn.Architectures,
		EphemeralStorage: &ephemeralStorage{Size: fn.EphemeralStorageMB}}
	if len(out.Architectures) == 0 {
		out.Architectures = []string{defaultArchitecture}
	}
	if out.EphemeralStorage.Size == 0 {
		out.EphemeralStorage.Size = defaultEphemeralMB
	}
	return out
}

// lastModified is the function's LastModified: its last code or
// configuration change, not an event invoke config change.
func lastModified(fn *ferry.Function) string {
	t := fn.ConfigModified
	if t.IsZero() {
		t = fn.Modified
	}
	return t.UTC().Format(lastModifiedLayout)
}

// noteRole logs, the first time a function is given a Role, that Ferry
// stores IAM roles without assuming or checking them.
func (a *API) noteRole(fn *ferry.Function) {
	if fn.Role == "" {
		return
	}
	a.roleOnce.Do(func() {
		a.log.Warn("IAM execution roles are accepted, not enforced: Ferry stores and returns a function's Role but runs it with Ferry's own credentials", "function", fn.Name, "role", fn.Role)
	})
}
