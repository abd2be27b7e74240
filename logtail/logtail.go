// Package logtail owns the recent log lines of every function and the live
// followers of them (`ferry logs FN -f`). Lines are kept per function in a
// bounded ring; the durable per-invocation logs live in the invocation
// history.
package logtail

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Line is one log line of a function.
type Line struct {
	Time      time.Time
	Function  string
	RequestID string
	Text      string
}

func (l Line) String() string {
	return fmt.Sprintf("%s %s %s %s", l.Time.UTC().Format("2006-01-02T15:04:05.000Z"), l.Function, l.RequestID, l.Text)
}

// Book keeps recent lines and feeds followers.
type Book struct {
	size int

	mu    sync.Mutex
	rings map[string]*ring
	subs  map[chan Line]string // channel -> function ("" = all)
}

// New returns a book keeping perFunction lines per function.
func New(perFunction int) *Book {
	if perFunction <= 0 {
		perFunction = 1000
	}
	return &Book{size: perFunction, rings: map[string]*ring{}, subs: map[chan Line]string{}}
}

// ring holds the last lines of one function in a fixed slice.
type ring struct {
	lines []Line
	next  int // where the next line goes once lines is full
}

func (r *ring) add(l Line, size int) {
	if len(r.lines) < size {
		r.lines = append(r.lines, l)
		return
	}
	r.lines[r.next] = l
	r.next = (r.next + 1) % size
}

// last returns up to n lines, oldest first (all when n <= 0).
func (r *ring) last(n int) []Line {
	ordered := append(append([]Line(nil), r.lines[r.next:]...), r.lines[:r.next]...)
	if n > 0 && len(ordered) > n {
		ordered = ordered[len(ordered)-n:]
	}
	return ordered
}

// Add records a line; it never blocks on a slow follower (the follower
// misses lines instead).
func (b *Book) Add(function, requestID string, text []byte) {
	l := Line{Time: time.Now(), Function: function, RequestID: requestID, Text: string(text)}
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.rings[function]
	if r == nil {
		r = &ring{}
		b.rings[function] = r
	}
	r.add(l, b.size)
	for ch, fn := range b.subs {
		if fn == "" || fn == function {
			select {
			case ch <- l:
			default:
			}
		}
	}
}

// Recent returns up to n of the last lines of function.
func (b *Book) Recent(function string, n int) []Line {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r := b.rings[function]; r != nil {
		return r.last(n)
	}
	return nil
}

// Follow streams new lines of function ("" for all) until ctx ends.
func (b *Book) Follow(ctx context.Context, function string) <-chan Line {
	ch := make(chan Line, 256)
	b.mu.Lock()
	b.subs[ch] = function
	b.mu.Unlock()
	out := make(chan Line)
	go func() {
		defer close(out)
		defer func() {
			b.mu.Lock()
			delete(b.subs, ch)
			b.mu.Unlock()
		}()
		for {
			select {
			case l := <-ch:
				select {
				case out <- l:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// ServeHTTP answers GET ?function=F&lines=N[&follow=1] with text lines;
// with follow the response stays open and streams new lines.
func (b *Book) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fn := r.URL.Query().Get("function")
	if fn == "" {
		http.Error(w, "function is required", http.StatusBadRequest)
		return
	}
	n := 100
	if s := r.URL.Query().Get("lines"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			http.Error(w, "lines must be a number >= 0", http.StatusBadRequest)
			return
		}
		n = v
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	bw := bufio.NewWriter(w)
	var follow <-chan Line
	if r.URL.Query().Get("follow") != "" {
		follow = b.Follow(r.Context(), fn)
	}
	for _, l := range b.Recent(fn, n) {
		fmt.Fprintln(bw, l)
	}
	bw.Flush()
	if follow == nil {
		return
	}
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	for l := range follow {
		fmt.Fprintln(bw, l)
		bw.Flush()
		if flusher != nil {
			flusher.Flush()
		}
	}
}
