package cdp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ferry-run/ferry"
)

// InstallHint is the command that installs the Chromium Find looks for.
const InstallHint = "apt-get install -y chromium"

// Find returns the Chromium binary: $CHROMIUM when set, else the first of
// chromium, chromium-browser, google-chrome and chrome on $PATH.
func Find() (path string, ok bool) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Options configure Start.
type Options struct {
	// Binary is the browser to run; empty means Find's answer.
	Binary string
	// Dir holds the profile and chromium.log; empty means a new temporary
	// directory that Close removes.
	Dir string
	// Width and Height are the window size; zero means 1400x900.
	Width, Height int
	// Args are more command-line flags for the browser, such as
	// --host-resolver-rules.
	Args []string
}

// Browser is a headless Chromium and the one DevTools connection to it.
type Browser struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed once cmd.Wait returned
	waitErr error
	dir     string
	ownDir  bool
	ws      *wsConn
	done    chan struct{} // closed when the reader stops

	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan message
	logs    map[string][]string // per session: exceptions, console and log entries
}

// message is one CDP frame: a command, its response, or an event.
type message struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// Start runs headless Chromium with a fresh profile and connects to it. The
// browser runs in its own process group; Close kills and reaps all of it.
// ctx bounds the start only.
func Start(ctx context.Context, opts Options) (*Browser, error) {
	bin := opts.Binary
	if bin == "" {
		var ok bool
		if bin, ok = Find(); !ok {
			return nil, ferry.Errorf(ferry.ENOTFOUND, "no chromium binary on PATH and $CHROMIUM unset (install it with: %s)", InstallHint)
		}
	}
	w, h := opts.Width, opts.Height
	if w <= 0 || h <= 0 {
		w, h = 1400, 900
	}
	b := &Browser{dir: opts.Dir, exited: make(chan struct{}), done: make(chan struct{}),
		pending: map[int64]chan message{}, logs: map[string][]string{}}
	if b.dir == "" {
		d, err := os.MkdirTemp("", "ferry-chromium-")
		if err != nil {
			return nil, ferry.Wrap(ferry.EINTERNAL, err, "chromium profile directory")
		}
		b.dir, b.ownDir = d, true
	}
	profile := filepath.Join(b.dir, "profile")
	logf, err := os.Create(b.logPath())
	if err != nil {
		b.removeDir()
		return nil, ferry.Wrap(ferry.EINTERNAL, err, "chromium log")
	}
	defer logf.Close()
	args := append([]string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
		"--disable-sync", "--mute-audio", fmt.Sprintf("--window-size=%d,%d", w, h),
		"--remote-debugging-port=0", "--user-data-dir=" + profile}, opts.Args...)
	cmd := exec.Command(bin, append(args, "about:blank")...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.removeDir()
		return nil, ferry.Wrap(ferry.EUNAVAILABLE, err, "start %s", bin)
	}
	b.cmd = cmd
	go func() {
		b.waitErr = cmd.Wait()
		close(b.exited)
	}()
	if err := b.connect(ctx, profile); err != nil {
		close(b.done) // no reader was started
		_ = b.Close()
		return nil, err
	}
	go b.read()
	return b, nil
}

func (b *Browser) logPath() string { return filepath.Join(b.dir, "chromium.log") }

// connect waits for Chromium to write its DevTools port and connects.
func (b *Browser) connect(ctx context.Context, profile string) error {
	portFile := filepath.Join(profile, "DevToolsActivePort")
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var lines []string
	for {
		data, err := os.ReadFile(portFile)
		if err == nil {
			lines = strings.Split(strings.TrimSpace(string(data)), "\n")
			if len(lines) == 2 {
				break
			}
		}
		select {
		case <-b.exited:
			log, _ := os.ReadFile(b.logPath())
			return ferry.Errorf(ferry.EUNAVAILABLE, "chromium exited before listening: %v\n%s", b.waitErr, log)
		case <-ctx.Done():
			log, _ := os.ReadFile(b.logPath())
			return ferry.Errorf(ferry.EUNAVAILABLE, "chromium did not write %s: %v\n%s", portFile, ctx.Err(), log)
		case <-tick.C:
		}
	}
	ws, err := dialWS(ctx, "127.0.0.1:"+lines[0], lines[1])
	if err != nil {
		return fmt.Errorf("connect to chromium: %w", err)
	}
	b.ws = ws
	return nil
}

// Close ends the connection, kills the browser's process group, waits
// until every process of it is gone (at most 10 s), and removes the
// temporary directory Start made. Calling it again returns the first
// result.
func (b *Browser) Close() error {
	b.closeOnce.Do(func() {
		if b.ws != nil {
			b.ws.Close()
		}
		<-b.done
		if b.cmd != nil {
			pgid := b.cmd.Process.Pid
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-b.exited
			// Children of the group outlive the leader for a moment; the
			// profile cannot be removed while they write to it.
			deadline := time.Now().Add(10 * time.Second)
			for syscall.Kill(-pgid, 0) == nil {
				if time.Now().After(deadline) {
					b.closeErr = ferry.Errorf(ferry.EINTERNAL, "chromium process group %d still alive 10 s after SIGKILL", pgid)
					break
				}
				time.Sleep(20 * time.Millisecond) // polling the kernel for the group's end, bounded above
			}
		}
		if err := b.removeDir(); err != nil && b.closeErr == nil {
			b.closeErr = err
		}
	})
	return b.closeErr
}

func (b *Browser) removeDir() error {
	if !b.ownDir {
		return nil
	}
	if err := os.RemoveAll(b.dir); err != nil {
		return ferry.Wrap(ferry.EINTERNAL, err, "remove chromium profile")
	}
	return nil
}

// Pid is the browser process's id, which is also its process group id.
func (b *Browser) Pid() int { return b.cmd.Process.Pid }

// read dispatches responses to their callers and keeps page messages.
func (b *Browser) read() {
	defer close(b.done)
	for {
		data, err := b.ws.readMessage()
		if err != nil {
			b.mu.Lock()
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.pending = nil
			b.mu.Unlock()
			return
		}
		var m message
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch, ok := b.pending[m.ID]; ok {
				ch <- m
				delete(b.pending, m.ID)
			}
		} else if m.Method == "Runtime.exceptionThrown" || m.Method == "Runtime.consoleAPICalled" || m.Method == "Log.entryAdded" {
			b.logs[m.SessionID] = append(b.logs[m.SessionID], m.Method+" "+string(m.Params))
		}
		b.mu.Unlock()
	}
}

// errClosed is returned by calls once the connection is gone.
var errClosed = errors.New("connection to chromium closed")

// Call sends one CDP command to the browser (session "") or to a tab's
// session and decodes its result into out when out is not nil.
func (b *Browser) Call(ctx context.Context, session, method string, params, out any) error {
	if params == nil {
		params = map[string]any{}
	}
	p, err := json.Marshal(params)
	if err != nil {
		return ferry.Wrap(ferry.EINVALID, err, "cdp %s params", method)
	}
	b.mu.Lock()
	if b.pending == nil {
		b.mu.Unlock()
		return ferry.Errorf(ferry.EUNAVAILABLE, "cdp %s: %v", method, errClosed)
	}
	b.nextID++
	id := b.nextID
	ch := make(chan message, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg, _ := json.Marshal(message{ID: id, Method: method, SessionID: session, Params: p})
	if err := b.ws.writeFrame(opText, msg); err != nil {
		b.forget(id)
		return ferry.Wrap(ferry.EUNAVAILABLE, err, "cdp %s", method)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return ferry.Errorf(ferry.EUNAVAILABLE, "cdp %s: %v", method, errClosed)
		}
		if m.Error != nil {
			return ferry.Errorf(ferry.EINVALID, "cdp %s: %s", method, m.Error.Message)
		}
		if out != nil {
			if err := json.Unmarshal(m.Result, out); err != nil {
				return ferry.Wrap(ferry.EINVALIDJSON, err, "cdp %s result", method)
			}
		}
		return nil
	case <-ctx.Done():
		b.forget(id)
		return fmt.Errorf("cdp %s: %w", method, ctx.Err())
	}
}

func (b *Browser) forget(id int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending != nil {
		delete(b.pending, id)
	}
}

// sessionLog returns what a session's page logged so far.
func (b *Browser) sessionLog(session string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.logs[session], "\n")
}
