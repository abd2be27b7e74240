package natsjs

// Embedded reports whether the engine runs the NATS server in this process
// (so the server's state and this process's memory end together in a
// crash), rather than connecting to an external one.
func (e *Engine) Embedded() bool { return e.srv != nil }
