package rapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/ferry-run/ferry"
)

const prefix = "/2018-06-01/runtime"

// Server serves the Runtime API for one instance on its own loopback listener.
type Server struct {
	rt  Runtime
	log *slog.Logger

	mu     sync.Mutex
	ln     net.Listener
	srv    *http.Server
	gate   ferry.Gate // the Serve goroutine and the requests in flight
	ctx    context.Context
	cancel context.CancelFunc
}

// New returns a server for rt; Start listens.
func New(rt Runtime, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{rt: rt, log: log}
}

// Start listens on 127.0.0.1 on a free port and serves until Stop.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if first, err := s.gate.Begin("rapi: server"); !first {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("rapi: listen: %w", err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"/invocation/next", s.track(s.handleNext))
	mux.HandleFunc("POST "+prefix+"/invocation/{id}/response", s.track(s.handleResponse))
	mux.HandleFunc("POST "+prefix+"/invocation/{id}/error", s.track(s.handleError))
	mux.HandleFunc("POST "+prefix+"/init/error", s.track(s.handleInitError))
	// The instance's one client holds a connection or two; a response body
	// is at most 6 MB over loopback.
	limits := ferry.ServerLimits{ReadTimeout: time.Minute, MaxConnections: 16}
	s.srv = limits.Server(mux)
	s.srv.BaseContext = func(net.Listener) context.Context { return s.ctx }
	s.srv.ErrorLog = slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)
	s.ln = ln
	ln = limits.Listener(ln)
	srv := s.srv
	s.gate.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("runtime api serve", "err", err)
		}
	})
	return nil
}

// Addr returns host:port for AWS_LAMBDA_RUNTIME_API ("" before Start).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Stop closes the listener and every connection, cancels blocked requests and
// waits for handlers to return, or for ctx. Idempotent.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	srv, cancel := s.srv, s.cancel
	s.mu.Unlock()
	if !s.gate.Close() || srv == nil {
		return nil
	}
	cancel()
	err := srv.Close()
	if werr := s.gate.Wait(ctx, "rapi"); werr != nil {
		return werr
	}
	return err
}

func (s *Server) track(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		release, ok := s.gate.Hold()
		if !ok {
			writeError(w, ferry.Errorf(ferry.EUNAVAILABLE, "rapi: server stopped"))
			return
		}
		defer release()
		h(w, r)
	}
}

func (s *Server) handleNext(w http.ResponseWriter, r *http.Request) {
	inv, err := s.rt.Next(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h[HeaderRequestID] = []string{inv.RequestID}
	h[HeaderDeadlineMs] = []string{strconv.FormatInt(inv.Deadline.UnixMilli(), 10)}
	h[HeaderFunctionARN] = []string{inv.FunctionARN}
	if inv.TraceID != "" {
		h[HeaderTraceID] = []string{inv.TraceID}
	}
	if inv.ClientContext != "" {
		h[HeaderClientContext] = []string{inv.ClientContext}
	}
	h["Content-Length"] = []string{strconv.Itoa(len(inv.Payload))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.Payload)
}

func (s *Server) handleResponse(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, tooLarge, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if tooLarge {
		msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxResponse)
		eb := ErrorBody{ErrorMessage: msg, ErrorType: ErrTypeResponseLarge}
		if err := s.rt.Fail(id, ErrTypeResponseLarge, eb.JSON()); err != nil {
			writeError(w, err)
			return
		}
		writeError(w, &Error{Status: http.StatusRequestEntityTooLarge, Type: "RequestEntityTooLarge", Message: msg})
		return
	}
	// A runtime that failed while streaming the body reports it in trailers.
	if et := r.Trailer.Get(HeaderErrorType); et != "" {
		eb, _ := base64.StdEncoding.DecodeString(r.Trailer.Get(HeaderErrorBody))
		err = s.rt.Fail(id, et, eb)
	} else {
		err = s.rt.Respond(id, body)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	accepted(w)
}

func (s *Server) handleError(w http.ResponseWriter, r *http.Request) {
	body, _, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.rt.Fail(r.PathValue("id"), r.Header.Get(HeaderErrorType), body); err != nil {
		writeError(w, err)
		return
	}
	accepted(w)
}

func (s *Server) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.rt.InitFail(r.Header.Get(HeaderErrorType), body); err != nil {
		writeError(w, err)
		return
	}
	accepted(w)
}

// readBody reads at most MaxResponse bytes; tooLarge reports a longer body.
func readBody(r *http.Request) (body []byte, tooLarge bool, err error) {
	n := r.ContentLength
	if n > MaxResponse {
		_, _ = io.Copy(io.Discard, r.Body)
		return nil, true, nil
	}
	if n < 0 {
		n = 512
	}
	buf := make([]byte, 0, n+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, rerr := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if len(buf) > MaxResponse {
			_, _ = io.Copy(io.Discard, r.Body)
			return nil, true, nil
		}
		if rerr == io.EOF {
			return buf, false, nil
		}
		if rerr != nil {
			return nil, false, &Error{Status: http.StatusBadRequest, Type: "InvalidRequest", Message: "reading body: " + rerr.Error()}
		}
	}
}

var acceptedBody = []byte(`{"status":"OK"}` + "\n")

func accepted(w http.ResponseWriter) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(acceptedBody))}
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write(acceptedBody)
}

func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Status: http.StatusInternalServerError, Type: "ServiceException", Message: err.Error()}
	}
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{e.Message, e.Type})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}
