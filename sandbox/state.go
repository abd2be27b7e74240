package sandbox

import "fmt"

// State is the lifecycle state of one function instance.
type State int

// Instance states, in lifecycle order.
const (
	// Starting: the instance exists, its process is being spawned.
	Starting State = iota
	// Initializing: the process runs and has not yet asked for an event.
	Initializing
	// Idle: initialised and free; the runtime waits (or will wait) in /next.
	Idle
	// Busy: an invocation is assigned to the instance.
	Busy
	// Dead: the process was killed or exited; the instance is never reused.
	Dead
)

var stateNames = [...]string{"Starting", "Initializing", "Idle", "Busy", "Dead"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// transitions lists every allowed state change; anything else is refused.
var transitions = map[State][]State{
	Starting:     {Initializing, Dead},
	Initializing: {Idle, Dead},
	Idle:         {Busy, Dead},
	Busy:         {Idle, Dead},
}

func canTransition(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}
