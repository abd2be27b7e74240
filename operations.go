package ferry

import "sort"

// How an AWS front door serves one operation of its service; the
// compatibility table (docs/compatibility.md) is generated from these.
const (
	// Supported: the operation does what AWS's does, within the notes.
	Supported = "supported"
	// AcceptedNotEnforced: the request is validated, stored and returned
	// exactly, but Ferry does not act on it (resource policies: there is
	// no IAM).
	AcceptedNotEnforced = "accepted, not enforced"
	// RefusedByName: the request is answered with an error that names the
	// operation or the parameter Ferry does not support.
	RefusedByName = "refused by name"
)

// Operation is one operation of an AWS service as a Ferry front door
// serves it.
type Operation struct {
	Name    string
	Support string // Supported, AcceptedNotEnforced or RefusedByName
	Note    string // caveats, in a sentence or two; "" for none
}

// OperationsOf lists the operations named (duplicates once), sorted by
// name: each with its row of notes, or Supported without a note when it
// has none. Every front door builds its Operations from it.
func OperationsOf(names []string, notes map[string]Operation) []Operation {
	seen := make(map[string]bool, len(names))
	out := make([]Operation, 0, len(names))
	for _, name := range names {
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		op, ok := notes[name]
		if !ok {
			op.Support = Supported
		}
		op.Name = name
		out = append(out, op)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
