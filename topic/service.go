package topic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// Names of the JetStream objects the service owns.
const (
	Bucket        = "ferry_topics"
	Stream        = "FERRY_TOPICS"
	subjectPrefix = "ferry.topic."
)

// CertificatePath is the path, below Options.PublicURL, where the API layer
// serves SigningCertificate.
const CertificatePath = "/_ferry/sns/SimpleNotificationService.pem"

var _ ferry.TopicPublisher = (*Service)(nil)

// Targets are the services subscriptions deliver to. Either may be nil; a
// subscription to a kind whose service is missing fails to deliver.
type Targets struct {
	Functions ferry.AsyncInvoker
	Queues    ferry.QueueSender
}

// Options configure a Service.
type Options struct {
	Realm  ferry.Realm
	Logger *slog.Logger
	// Targets receive function and queue deliveries.
	Targets Targets
	// HTTPClient posts HTTP/HTTPS deliveries (default: 15 s timeout, as SNS).
	HTTPClient *http.Client
	// RetryBase is the length of one second of a delivery policy (default
	// 1 s); tests shrink it to run retry schedules quickly.
	RetryBase time.Duration
	// PublicURL is the base of SigningCertURL and UnsubscribeURL
	// (default http://127.0.0.1:4566).
	PublicURL string
}

// Service is the topic service.
type Service struct {
	engine *natsjs.Engine
	realm  ferry.Realm
	log    *slog.Logger
	t      Targets
	client *http.Client
	base   time.Duration
	public string
	now    func() time.Time
	// ackWait is how long a delivery may take before JetStream redelivers it.
	ackWait time.Duration

	kv     jetstream.KeyValue
	stream jetstream.Stream
	signer *signer

	mu     sync.RWMutex
	topics map[string]*topicState
	subs   map[string]*subRunner // by subscription id
	// gone holds, per deleted key, the newest revision known deleted, so a
	// late watch update of an older revision does not resurrect it.
	gone    map[string]uint64
	started bool
	stopped bool

	ctx    context.Context // cancelled on Stop after in-flight deliveries drained
	cancel context.CancelFunc
	mirror *natsjs.Mirror
	wg     sync.WaitGroup // watch goroutine and in-flight deliveries
}

// New returns a service on engine; Start opens it.
func New(e *natsjs.Engine, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Realm == (ferry.Realm{}) {
		opts.Realm = ferry.DefaultRealm
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = time.Second
	}
	if opts.PublicURL == "" {
		opts.PublicURL = ferry.DefaultAPIURL
	}
	return &Service{
		engine:  e,
		realm:   opts.Realm,
		log:     opts.Logger,
		t:       opts.Targets,
		client:  opts.HTTPClient,
		base:    opts.RetryBase,
		public:  strings.TrimRight(opts.PublicURL, "/"),
		now:     time.Now,
		ackWait: 60 * time.Second,
		topics:  map[string]*topicState{},
		subs:    map[string]*subRunner{},
		gone:    map[string]uint64{},
	}
}

// Start opens the bucket and stream, loads topics and subscriptions, starts
// every subscription's delivery and follows changes made by other nodes.
// Calling Start on a started service does nothing.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return nil
	}
	if s.stopped {
		s.mu.Unlock()
		return ferry.Errorf(ferry.EUNAVAILABLE, "topic service was stopped")
	}
	s.started = true
	s.mu.Unlock()
	s.ctx, s.cancel = context.WithCancel(context.Background())

	if err := s.open(ctx); err != nil {
		s.Stop(ctx)
		return err
	}
	return nil
}

func (s *Service) open(ctx context.Context) error {
	kv, err := s.engine.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: Bucket, History: 1})
	if err != nil {
		return err
	}
	s.kv = kv
	st, err := s.engine.EnsureStream(ctx, jetstream.StreamConfig{
		Name:       Stream,
		Subjects:   []string{subjectPrefix + ">"},
		Retention:  jetstream.InterestPolicy,
		Duplicates: 5 * time.Minute, // SNS FIFO's deduplication interval (fifo.go)
		MaxMsgSize: natsjs.MaxPayload,
	})
	if err != nil {
		return err
	}
	s.stream = st
	if s.signer, err = loadSigner(ctx, kv); err != nil {
		return err
	}
	m, err := natsjs.WatchKV(ctx, kv, []string{"*.*", "topic.*.fifo"}, func(u jetstream.KeyValueEntry, initial bool) error {
		if initial {
			s.apply(ctx, u)
		} else {
			s.apply(s.ctx, u)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("topics: %w", err)
	}
	s.mirror = m
	s.removeOrphans(ctx)
	return nil
}

// apply brings the in-memory copy in line with one bucket entry.
func (s *Service) apply(ctx context.Context, u jetstream.KeyValueEntry) {
	kind, id, _ := strings.Cut(u.Key(), ".")
	deleted := u.Operation() != jetstream.KeyValuePut
	switch kind {
	case "topic":
		s.mu.Lock()
		defer s.mu.Unlock()
		cur := s.topics[id]
		if cur != nil && cur.rev >= u.Revision() || s.gone[u.Key()] >= u.Revision() {
			return
		}
		if deleted {
			s.gone[u.Key()] = u.Revision()
			delete(s.topics, id)
			return
		}
		var rec topicRecord
		if err := json.Unmarshal(u.Value(), &rec); err != nil {
			s.log.Error("topic record unreadable", "topic", id, "err", err)
			return
		}
		s.topics[id] = &topicState{rec: rec, rev: u.Revision()}
	case "sub":
		if deleted {
			s.removeSub(id, u.Revision())
			return
		}
		var rec subRecord
		if err := json.Unmarshal(u.Value(), &rec); err != nil {
			s.log.Error("subscription record unreadable", "subscription", id, "err", err)
			return
		}
		if err := s.putSub(ctx, rec, u.Revision()); err != nil {
			s.log.Error("subscription not started", "subscription", id, "err", err)
		}
	}
}

// Stop stops fetching, lets in-flight deliveries finish until ctx ends, then
// cancels them and waits. Idempotent.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.stopped || !s.started {
		s.stopped = true
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	runners := make([]*subRunner, 0, len(s.subs))
	for _, r := range s.subs {
		runners = append(runners, r)
	}
	s.mu.Unlock()

	_ = s.mirror.Stop(ctx)
	// Phase one: stop fetching and let in-flight deliveries finish; phase
	// two, when ctx ends first: cancel them (JetStream redelivers).
	done := make(chan struct{})
	go func() {
		for _, r := range runners {
			r.stop()
		}
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.cancel()
		<-done
	}
	s.cancel()
	return nil
}

func (s *Service) ready() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.started || s.stopped {
		return ferry.Errorf(ferry.EUNAVAILABLE, "topic service is not running")
	}
	return nil
}

// kvError maps a bucket error to a ferry error.
func kvError(what string, err error) error {
	if errors.Is(err, jetstream.ErrKeyExists) {
		return ferry.Errorf(ferry.ECONFLICT, "%s changed concurrently; retry", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}
