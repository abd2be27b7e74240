package sandbox

import (
	"maps"
	"time"

	"github.com/ferry-run/ferry"
)

// config is the part of a function's configuration an instance is built from;
// an instance whose config no longer matches the function is retired.
type config struct {
	name     string
	runtime  string
	handler  string
	codeDir  string
	memory   int
	timeout  time.Duration
	modified time.Time
	env      map[string]string
}

func configOf(fn *ferry.Function) config {
	return config{
		name: fn.Name, runtime: fn.Runtime, handler: fn.Handler, codeDir: fn.CodeDir,
		memory: fn.MemoryMB(), timeout: fn.TimeoutOrDefault(), modified: fn.Modified,
		env: maps.Clone(fn.Env),
	}
}

// matches reports whether fn would build an instance identical to c.
func (c *config) matches(fn *ferry.Function) bool {
	return c.name == fn.Name && c.runtime == fn.Runtime && c.handler == fn.Handler &&
		c.codeDir == fn.CodeDir && c.memory == fn.MemoryMB() && c.timeout == fn.TimeoutOrDefault() &&
		c.modified.Equal(fn.Modified) && maps.Equal(c.env, fn.Env)
}

func (c *config) equal(o *config) bool {
	return c.name == o.name && c.runtime == o.runtime && c.handler == o.handler &&
		c.codeDir == o.codeDir && c.memory == o.memory && c.timeout == o.timeout &&
		c.modified.Equal(o.modified) && maps.Equal(c.env, o.env)
}
