package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ferry-run/ferry"
)

// defaultPath is the PATH given to instances when Ferry's own has none.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// command is how one runtime starts.
type command struct {
	path     string
	args     []string
	execEnv  string // AWS_EXECUTION_ENV, "" for OS-only runtimes
	taskRoot string // LAMBDA_TASK_ROOT and working directory: the absolute code directory
	rtDir    string // LAMBDA_RUNTIME_DIR
}

// isNodeRuntime reports whether rt is nodejsNN.x.
func isNodeRuntime(rt string) bool {
	family, err := ferry.RuntimeFamily(rt)
	return err == nil && family == ferry.RuntimeFamilyNode
}

// isPythonRuntime reports whether rt is python3.9 ... python3.13.
func isPythonRuntime(rt string) bool {
	family, err := ferry.RuntimeFamily(rt)
	return err == nil && family == ferry.RuntimeFamilyPython
}

// commandFor returns the command that starts fn's runtime, or EINVALID.
func (p *Pool) commandFor(fn *ferry.Function) (command, error) {
	if fn.CodeDir == "" {
		return command{}, ferry.Errorf(ferry.EINVALID, "function %q has no code directory", fn.Name)
	}
	root, err := filepath.Abs(fn.CodeDir)
	if err != nil {
		return command{}, ferry.Wrap(ferry.EINVALID, err, "function %q: code directory %q", fn.Name, fn.CodeDir)
	}
	switch rt := fn.Runtime; {
	case rt == "provided" || rt == "provided.al2" || rt == "provided.al2023":
		return command{path: filepath.Join(root, "bootstrap"), taskRoot: root, rtDir: root}, nil
	case isNodeRuntime(rt):
		if p.opts.NodeBootstrap == "" {
			return command{}, ferry.Errorf(ferry.EINVALID, "runtime %q needs Ferry's Node.js bootstrap, but none is configured", rt)
		}
		heap := fn.MemoryMB() * 9 / 10
		return command{
			path:     p.opts.NodeBinary,
			args:     []string{"--max-old-space-size=" + strconv.Itoa(heap), p.opts.NodeBootstrap},
			execEnv:  "AWS_Lambda_" + rt,
			taskRoot: root,
			rtDir:    filepath.Dir(p.opts.NodeBootstrap),
		}, nil
	case isPythonRuntime(rt):
		if p.opts.PythonBootstrap == "" {
			return command{}, ferry.Errorf(ferry.EINVALID, "runtime %q needs Ferry's Python bootstrap, but none is configured", rt)
		}
		return command{
			path:     p.opts.PythonBinary,
			args:     []string{"-u", p.opts.PythonBootstrap},
			execEnv:  "AWS_Lambda_" + rt,
			taskRoot: root,
			rtDir:    filepath.Dir(p.opts.PythonBootstrap),
		}, nil
	default:
		return command{}, ferry.Errorf(ferry.EINVALID,
			"runtime %q is not supported (supported: provided, provided.al2, provided.al2023, nodejsNN.x, python3.9 to python3.13)", rt)
	}
}

// environ builds an instance's environment; fn.Env wins over everything.
func (p *Pool) environ(fn *ferry.Function, cmd command, apiAddr string, now time.Time) []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = defaultPath
	}
	var stream [16]byte
	_, _ = rand.Read(stream[:])
	env := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          apiAddr,
		"_HANDLER":                        fn.Handler,
		"LAMBDA_TASK_ROOT":                cmd.taskRoot,
		"LAMBDA_RUNTIME_DIR":              cmd.rtDir,
		"AWS_LAMBDA_FUNCTION_NAME":        fn.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     ferry.LatestVersion,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.MemoryMB()),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + fn.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      now.UTC().Format("2006/01/02") + "/[$LATEST]" + hex.EncodeToString(stream[:]),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      p.opts.Realm.Region,
		"AWS_DEFAULT_REGION":              p.opts.Realm.Region,
		"TZ":                              ":UTC",
		"PATH":                            path,
		"AWS_ACCESS_KEY_ID":               "test",
		"AWS_SECRET_ACCESS_KEY":           "test",
		"AWS_SESSION_TOKEN":               "test",
	}
	p.awsEnv(env, fn.Name)
	if cmd.execEnv != "" {
		env["AWS_EXECUTION_ENV"] = cmd.execEnv
	}
	if p.opts.NodeSDK != "" && isNodeRuntime(fn.Runtime) {
		env["FERRY_NODE_SDK"] = p.opts.NodeSDK
		env["NODE_PATH"] = filepath.Join(p.opts.NodeSDK, "node_modules")
	}
	for k, v := range fn.Env {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}
