package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferry-run/ferry/stack"
)

func newUpCommand() *cobra.Command {
	var (
		f      serverFlags
		stage  string
		strict bool
		opts   []string
		jwks   []string
		poll   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "up [dir]",
		Short: "Run the serverless.yml or SAM template.yaml stack in dir (default .) with everything it needs",
		Long: `up loads the stack in dir, starts Ferry (engine, functions, queues, topics, buses,
AWS APIs), creates the stack's resources, prints the endpoints and a map of the stack, streams
function logs, reloads a function when its files change, and stops cleanly on Ctrl-C. Queued
events are kept in the data directory for the next run: by default outside the stack folder,
in the user's state directory ($XDG_STATE_HOME or ~/.local/state)/ferry/stacks/NAME-HASH, one per
stack folder. A data directory inside the stack folder gets a .gitignore so it is never committed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("data") {
				if f.dataDir, err = stackDataDir(abs); err != nil {
					return err
				}
			}
			if err := ignoreDataDir(abs, f.dataDir); err != nil {
				return err
			}
			lo := stack.LoadOptions{Stage: stage, Strict: strict, Options: map[string]string{}, Endpoint: stackEndpoint(f.apiAddr)}
			for _, o := range opts {
				k, v, ok := strings.Cut(o, "=")
				if !ok {
					return fmt.Errorf("--opt %q: want name=value", o)
				}
				lo.Options[k] = v
			}
			st, warnings, err := stack.Load(abs, lo)
			out := cmd.OutOrStdout()
			for _, w := range warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			if err != nil {
				return err
			}
			warnPython(cmd.ErrOrStderr(), st, f.python)
			if err := buildStack(cmd.Context(), st); err != nil {
				return err
			}
			cfg, err := f.config()
			if err != nil {
				return err
			}
			cfg.Realm = st.Realm()
			cfg.OnLog = newLogPrinter(out).line
			if cfg.JWKSFiles, err = jwksFlags(jwks); err != nil {
				return err
			}
			m := NewMain(cfg)
			if err := m.Run(cmd.Context()); err != nil {
				return err
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout())
				defer cancel()
				m.Close(ctx)
			}()
			if err := m.Apply(cmd.Context(), st); err != nil {
				return fmt.Errorf("%s: %w", st.File, err)
			}
			printStack(out, m, st)
			if b := pausedBanner(cmd.Context(), m); b != "" {
				fmt.Fprintf(out, "  %s\n", b)
			}
			watchCode(cmd.Context(), m, st, poll, out)
			fmt.Fprintln(out, "ferry: stopping (queued events are kept for the next run)")
			return nil
		},
	}
	f.register(cmd.Flags(), "per stack, in the user's state dir")
	// Function logs are up's output; server logs only when something is wrong.
	f.logLevel = "warn"
	cmd.Flags().Lookup("log-level").DefValue = "warn"
	cmd.Flags().StringVar(&stage, "stage", "", "stage (${opt:stage}, ${sls:stage}); default the file's or \"dev\"")
	cmd.Flags().BoolVar(&strict, "strict", false, "treat unsupported keys and functions of runtimes Ferry cannot run as errors")
	cmd.Flags().StringArrayVar(&opts, "opt", nil, "name=value for ${opt:name} (repeatable)")
	cmd.Flags().StringArrayVar(&jwks, "jwks", nil, "name=file: the JWKS file holding the keys of the JWT authorizer with this name or issuer URL (repeatable); default: fetched from the issuer")
	cmd.Flags().DurationVar(&poll, "reload-poll", 500*time.Millisecond, "how often to look for changed function code")
	return cmd
}

// printStack prints the endpoints and a short map of the stack.
func printStack(w io.Writer, m *Main, st *stack.Stack) {
	if st.Format == stack.FormatSAM {
		fmt.Fprintf(w, "ferry: %s (%s, SAM) is up\n", st.Service, filepath.Base(st.File))
	} else {
		fmt.Fprintf(w, "ferry: %s (%s, stage %s) is up\n", st.Service, filepath.Base(st.File), st.Stage)
	}
	fmt.Fprintf(w, "  AWS APIs   %s   (AWS_ENDPOINT_URL=%s)\n", m.APIURL(), m.APIURL())
	fmt.Fprintf(w, "  dashboard  %s/_ferry/\n", m.APIURL())
	fmt.Fprintf(w, "  data       %s\n", m.Config.DataDir)
	if b := natsBanner(m); b != "" {
		fmt.Fprintf(w, "  %s\n", b)
	}
	for _, r := range m.routes() {
		fmt.Fprintf(w, "  route      %s %s%s%s%s\n", r.Method, m.Gateway.URL(), r.Path, routeAuthNote(r), stageNote(r))
	}
	for _, k := range st.APIKeys {
		fmt.Fprintf(w, "  api key    %s: %s\n", k.Name, k.Value)
	}
	for _, fn := range st.Functions {
		fmt.Fprintf(w, "  function   %s (%s, %s)%s\n", fn.Name, fn.Runtime, fn.Handler, refusedNote(fn.Function))
		if d := fn.Async.OnSuccess; d != "" {
			fmt.Fprintf(w, "               onSuccess -> %s\n", d)
		}
		if d := fn.Async.OnFailure; d != "" {
			fmt.Fprintf(w, "               onFailure -> %s\n", d)
		}
		if d := fn.DeadLetterTarget; d != "" {
			fmt.Fprintf(w, "               DLQ       -> %s\n", d)
		}
	}
	for _, q := range st.Queues {
		fmt.Fprintf(w, "  queue      %s\n", q.Name)
	}
	for _, t := range st.Topics {
		fmt.Fprintf(w, "  topic      %s\n", t.Name)
	}
	for _, s := range st.Subscriptions {
		fmt.Fprintf(w, "               %s -> %s (%s)\n", s.Topic, s.Endpoint, s.Protocol)
	}
	for _, tr := range st.Triggers {
		fmt.Fprintf(w, "  trigger    %s -> %s (batch %d)\n", tr.Queue, tr.Function, tr.BatchSize)
	}
	for _, r := range st.Rules {
		fmt.Fprintf(w, "  rule       %s on bus %s (%d targets)\n", r.Name, r.Bus, len(r.Targets))
	}
	for _, sc := range st.Schedules {
		fmt.Fprintf(w, "  schedule   %s -> %s\n", sc.Expression, sc.Function)
	}
}

// logPrinter writes function log lines with the function's name (in its own
// colour on a terminal) and the request id on every line.
type logPrinter struct {
	mu     sync.Mutex
	w      io.Writer
	colour bool
}

func newLogPrinter(w io.Writer) *logPrinter {
	colour := false
	if f, ok := w.(*os.File); ok && os.Getenv("NO_COLOR") == "" {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			colour = true
		}
	}
	return &logPrinter{w: w, colour: colour}
}

var logColours = []string{"\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[32m", "\x1b[34m", "\x1b[91m", "\x1b[96m", "\x1b[95m"}

func (p *logPrinter) line(function, requestID string, line []byte) {
	name := function
	if p.colour {
		h := fnv.New32a()
		h.Write([]byte(function))
		name = logColours[h.Sum32()%uint32(len(logColours))] + function + "\x1b[0m"
	}
	text := strings.TrimRight(strings.ReplaceAll(string(line), "\r", "\n  "), "\n")
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%s %s %s\n", name, requestID, text)
}

// watchCode polls the functions' code folders until ctx ends and stores a
// function again (retiring its warm instances) when a file in its folder
// changes, so the next invocation runs the new code.
func watchCode(ctx context.Context, m *Main, st *stack.Stack, every time.Duration, out io.Writer) {
	dirs := map[string][]string{}
	builds := map[string]*stack.Function{}
	for i, fn := range st.Functions {
		d := fn.CodeDir
		if fn.Build != nil {
			d = fn.Build.Dir
			builds[fn.Name] = &st.Functions[i]
		}
		dirs[d] = append(dirs[d], fn.Name)
	}
	last := map[string]string{}
	for d := range dirs {
		last[d] = snapshot(d)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for d, names := range dirs {
			now := snapshot(d)
			if now == last[d] {
				continue
			}
			last[d] = now
			for _, name := range names {
				fn, err := m.Functions.GetFunction(ctx, name)
				if err != nil {
					continue
				}
				cp := *fn
				if sf := builds[name]; sf != nil {
					dir, err := rebuild(ctx, sf)
					if err != nil {
						fmt.Fprintf(out, "ferry: rebuild of %s failed; the previous build keeps running:\n%v\n", name, err)
						continue
					}
					cp.CodeDir = dir
				}
				if err := m.Functions.PutFunction(ctx, &cp); err != nil {
					fmt.Fprintf(out, "ferry: reload %s: %v\n", name, err)
					continue
				}
				fmt.Fprintf(out, "ferry: reloaded %s (code changed)\n", name)
			}
		}
	}
}

// snapshot summarises the names, sizes and times of the files under dir,
// skipping Ferry's data, version control and dependency caches.
func snapshot(dir string) string {
	var rows []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && p != dir && (d.Name() == ".ferry" || d.Name() == ".git" || d.Name() == ".serverless") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				rows = append(rows, fmt.Sprintf("%s %d %d", p, info.Size(), info.ModTime().UnixNano()))
			}
		}
		return nil
	})
	sort.Strings(rows)
	return strings.Join(rows, "\n")
}
