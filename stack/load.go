package stack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/ferry-run/ferry"
	"go.yaml.in/yaml/v3"
)

// Files Load looks for, in order.
var stackFiles = []string{"serverless.yml", "serverless.yaml", "template.yaml", "template.yml"}

// Load reads the stack file of dir: serverless.yml (or .yaml), else a SAM
// template.yaml (or .yml).
func Load(dir string, opts LoadOptions) (*Stack, []Warning, error) {
	for _, name := range stackFiles {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return LoadFile(p, opts)
		}
	}
	return nil, nil, ferry.Errorf(ferry.ENOTFOUND, "%s: no stack file (want one of %s)", dir, strings.Join(stackFiles, ", "))
}

// LoadFile reads one stack file. A serverless file is recognised by its
// top-level "service" key, a SAM template by its Transform or Resources.
// Errors carry "file:line:col:" and the ferry code EINVALID.
func LoadFile(path string, opts LoadOptions) (*Stack, []Warning, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, ferry.Wrap(ferry.ENOTFOUND, err, "%s", path)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, nil, ferry.Wrap(ferry.EINVALID, err, "%s", path)
	}
	return load(path, dir, data, opts)
}

// bail carries a load error out of the recursive descent.
type bail struct{ err error }

// maxNodes bounds the work on one file (alias expansion, nested variables).
const maxNodes = 1 << 20

type loader struct {
	file  string
	dir   string
	opts  LoadOptions
	sls   bool // serverless variables and #{} pseudo parameters are on
	warns []Warning
	work  int

	resPath  string                    // "resources.Resources" (serverless) or "Resources" (SAM)
	raw      *yaml.Node                // the document's root mapping
	resolved map[*yaml.Node]*yaml.Node // variable resolution, by raw node
	busy     map[*yaml.Node]bool       // nodes being resolved (cycle check)

	region, account, stackName string
	stage                      string
	stageBusy                  bool

	res    map[string]*resource // by logical id
	order  []string             // logical ids in file order
	params map[string]*yaml.Node
	st     *Stack

	samGlobals *yaml.Node // SAM Globals (Api/HttpApi Auth of the implicit APIs)
	needAPIKey []string   // SAM APIs whose routes require a key
}

func load(path, dir string, data []byte, opts LoadOptions) (st *Stack, warns []Warning, err error) {
	l := &loader{file: path, dir: dir, opts: opts, resolved: map[*yaml.Node]*yaml.Node{},
		busy: map[*yaml.Node]bool{}, res: map[string]*resource{}, params: map[string]*yaml.Node{}}
	if l.opts.Env == nil {
		l.opts.Env = os.LookupEnv
	}
	if l.opts.Endpoint == "" {
		l.opts.Endpoint = DefaultEndpoint
	}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bail)
			if !ok {
				panic(r)
			}
			st, warns, err = nil, l.warns, b.err
		}
	}()
	l.raw = l.parse(data)
	if l.raw == nil {
		return nil, nil, ferry.Errorf(ferry.EINVALID, "%s: the file is empty", path)
	}
	if l.raw.Kind != yaml.MappingNode {
		l.fail(l.raw, "the top level must be a mapping")
	}
	if mapGet(l.raw, "service") != nil {
		l.sls, l.resPath = true, "resources.Resources"
		st = l.serverless()
	} else if mapGet(l.raw, "Resources") != nil || mapGet(l.raw, "Transform") != nil {
		l.resPath = "Resources"
		st = l.sam()
	} else {
		l.fail(l.raw, "neither a serverless.yml (no service key) nor a SAM template (no Resources)")
	}
	sort.SliceStable(l.warns, func(i, j int) bool {
		a, b := l.warns[i], l.warns[j]
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	st.setRouteStages()
	if err := st.Validate(); err != nil {
		return nil, l.warns, ferry.Errorf(ferry.ErrorCode(err), "%s: %s", path, ferry.ErrorMessage(err))
	}
	if opts.Strict && len(l.warns) > 0 {
		msgs := make([]string, len(l.warns))
		for i, w := range l.warns {
			msgs[i] = w.String()
		}
		return nil, l.warns, ferry.Errorf(ferry.EINVALID, "strict mode: %d unsupported keys or runtimes:\n%s", len(l.warns), strings.Join(msgs, "\n"))
	}
	return st, l.warns, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse decodes the YAML document. yaml.v3 reports only a line for syntax
// errors, so those read "file:line: message".
func (l *loader) parse(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			panic(bail{ferry.Errorf(ferry.EINVALID, "%s:%s: invalid YAML: %s", l.file, m[1], m[2])})
		}
		panic(bail{ferry.Errorf(ferry.EINVALID, "%s: invalid YAML: %s", l.file, strings.TrimPrefix(msg, "yaml: "))})
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		l.fail(&more, "a stack file holds one YAML document")
	}
	if len(doc.Content) == 0 {
		return nil
	}
	return doc.Content[0]
}

// fail stops the load with an error at n's position.
func (l *loader) fail(n *yaml.Node, format string, args ...any) {
	line, col := 0, 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	panic(bail{ferry.Errorf(ferry.EINVALID, "%s:%d:%d: %s", l.file, line, col, fmt.Sprintf(format, args...))})
}

// warn records an unsupported key.
func (l *loader) warn(n *yaml.Node, key, format string, args ...any) {
	w := Warning{File: l.file, Key: key, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		w.Line, w.Column = n.Line, n.Column
	}
	l.warns = append(l.warns, w)
}

// refuse records a value Ferry keeps but will not run (a function's runtime).
func (l *loader) refuse(n *yaml.Node, key, format string, args ...any) {
	l.warn(n, key, format, args...)
	l.warns[len(l.warns)-1].Refused = true
}

// step counts work and stops a document that explodes (alias bombs).
func (l *loader) step(n *yaml.Node) {
	l.work++
	if l.work > maxNodes {
		l.fail(n, "document too large after alias expansion (more than %d nodes)", maxNodes)
	}
}
