// Package ferry holds Ferry's domain vocabulary: functions, invocations,
// invocation records, destinations, ARNs and error codes, and the interfaces
// the services implement. It imports only the standard library; adapters live
// in sibling packages and cmd/ferry wires them together.
package ferry

import "time"

// Defaults that match AWS Lambda.
const (
	DefaultRegion          = "us-east-1"
	DefaultAccount         = "000000000000"
	DefaultMemoryMB        = 128
	DefaultTimeout         = 3 * time.Second
	DefaultRetryAttempts   = 2
	DefaultMaxEventAge     = 6 * time.Hour
	MinMaxEventAge         = 60 * time.Second
	MaxMaxEventAge         = 6 * time.Hour
	MaxAsyncPayload        = 1 << 20 // 1 MiB
	MaxSyncPayload         = 6 << 20 // 6 MiB
	LatestVersion          = "$LATEST"
	DefaultRecursionLimit  = 16
	RecursiveLoopTerminate = "Terminate"
	RecursiveLoopAllow     = "Allow"
)

// DefaultAPIAddr is where Ferry serves the AWS APIs, the dashboard and
// /metrics unless told otherwise (LocalStack's port, so tools that default
// to it work); DefaultAPIURL is its URL.
const (
	DefaultAPIAddr = "127.0.0.1:4566"
	DefaultAPIURL  = "http://" + DefaultAPIAddr
)

// Function is the configuration of one function.
type Function struct {
	Name    string            `json:"name"`
	Runtime string            `json:"runtime"` // "provided.al2023", "provided.al2", "nodejs20.x", ...
	Handler string            `json:"handler"` // "index.handler" for Node.js; ignored for provided
	CodeDir string            `json:"codeDir"` // LAMBDA_TASK_ROOT: the unpacked code
	Memory  int               `json:"memoryMB,omitempty"`
	Timeout time.Duration     `json:"timeout,omitempty"`
	Env     map[string]string `json:"environment,omitempty"`
	// ReservedConcurrency caps concurrent instances; nil means unreserved.
	// Zero means the function is throttled entirely.
	ReservedConcurrency *int        `json:"reservedConcurrency,omitempty"`
	Async               AsyncConfig `json:"async"`
	DeadLetterTarget    string      `json:"deadLetterTarget,omitempty"` // queue or topic ARN
	RecursiveLoop       string      `json:"recursiveLoop,omitempty"`    // Terminate (default) or Allow
	Modified            time.Time   `json:"modified"`
	Settings
}

// Settings are function fields deployment tools set and compare for
// drift; Ferry stores and returns them as given and does not act on them
// (there is no IAM, one architecture, and /tmp is the host's).
type Settings struct {
	Role               string   `json:"role,omitempty"`
	Description        string   `json:"description,omitempty"`
	Architectures      []string `json:"architectures,omitempty"`
	EphemeralStorageMB int      `json:"ephemeralStorageMB,omitempty"`
	// ConfigModified is when the code or configuration last changed
	// through the Lambda API: its LastModified. Modified changes with
	// every stored change, event invoke configs included.
	ConfigModified time.Time `json:"configModified,omitzero"`
}

// AsyncConfig is a function's event invoke config.
type AsyncConfig struct {
	// MaximumRetryAttempts is 0-2; nil means the default of 2.
	MaximumRetryAttempts *int `json:"maximumRetryAttempts,omitempty"`
	// MaximumEventAge is 60 s - 6 h; zero means the default of 6 h.
	MaximumEventAge time.Duration `json:"maximumEventAge,omitempty"`
	OnSuccess       string        `json:"onSuccess,omitempty"` // destination ARN
	OnFailure       string        `json:"onFailure,omitempty"` // destination ARN
}

// Retries returns the effective retry count.
func (c AsyncConfig) Retries() int {
	if c.MaximumRetryAttempts == nil {
		return DefaultRetryAttempts
	}
	return *c.MaximumRetryAttempts
}

// MaxAge returns the effective maximum event age.
func (c AsyncConfig) MaxAge() time.Duration {
	if c.MaximumEventAge == 0 {
		return DefaultMaxEventAge
	}
	return c.MaximumEventAge
}

// Validate checks the ranges AWS enforces.
func (c AsyncConfig) Validate() error {
	if r := c.MaximumRetryAttempts; r != nil && (*r < 0 || *r > 2) {
		return Errorf(EINVALID, "MaximumRetryAttempts must be between 0 and 2, got %d", *r)
	}
	if a := c.MaximumEventAge; a != 0 && (a < MinMaxEventAge || a > MaxMaxEventAge) {
		return Errorf(EINVALID, "MaximumEventAgeInSeconds must be between 60 and 21600, got %d", int(a/time.Second))
	}
	for _, d := range []string{c.OnSuccess, c.OnFailure} {
		if d == "" {
			continue
		}
		a, err := ParseARN(d)
		if err != nil {
			return err
		}
		if a.Kind == KindBucket {
			return Errorf(EINVALID, "destination %s: S3 buckets are not supported as destinations by Ferry, which has no S3 service; use a queue, topic, function or event bus", d)
		}
	}
	return nil
}

// MemoryMB returns the effective memory size.
func (f *Function) MemoryMB() int {
	if f.Memory <= 0 {
		return DefaultMemoryMB
	}
	return f.Memory
}

// TimeoutOrDefault returns the effective timeout.
func (f *Function) TimeoutOrDefault() time.Duration {
	if f.Timeout <= 0 {
		return DefaultTimeout
	}
	return f.Timeout
}

// Validate checks a function's configuration. A runtime Ferry cannot run
// (java21, ruby3.3, dotnet8, ...) is valid configuration: such a function is
// kept, and every invocation of it is refused (see Runnable).
func (f *Function) Validate() error {
	if !ValidFunctionName(f.Name) {
		return Errorf(EINVALID, "function name %q must be 1-64 characters of letters, digits, '-' and '_'", f.Name)
	}
	if f.Runtime == "" {
		return Errorf(EINVALID, "function %q: runtime is required", f.Name)
	}
	if !validRuntimeID(f.Runtime) {
		return Errorf(EINVALID, "function %q: runtime %q is not a runtime identifier", f.Name, f.Runtime)
	}
	if f.ReservedConcurrency != nil && *f.ReservedConcurrency < 0 {
		return Errorf(EINVALID, "function %q: reserved concurrency must be >= 0", f.Name)
	}
	if err := ValidateHandler(f.Handler); err != nil {
		return Errorf(EINVALID, "function %q: %s", f.Name, ErrorMessage(err))
	}
	return f.Async.Validate()
}

// validName reports whether s is 1-max characters of [A-Za-z0-9_-].
func validName(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}

// ValidResourceName reports whether s is a valid function, queue or topic name.
func ValidResourceName(s string) bool { return validName(s, 80) }

// ValidFunctionName reports whether s is a valid function name: 1-64
// letters, digits, '-' and '_'.
func ValidFunctionName(s string) bool { return validName(s, 64) }
