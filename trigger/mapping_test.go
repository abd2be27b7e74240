package trigger_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/trigger"
)

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, config{})
	b.addQueue(t, "q", nil)
	b.addQueue(t, "short", map[string]string{"VisibilityTimeout": "2"})
	b.addFunction(t, "f", "", 0)
	b.addFunction(t, "slow", "", 10*time.Second)
	existing := b.create(t, trigger.Mapping{Queue: "q", Function: "f", Enabled: true})
	cases := []struct {
		name string
		m    trigger.Mapping
		code string
	}{
		{"unknown queue", trigger.Mapping{Queue: "nope", Function: "slow"}, ferry.ENOTFOUND},
		{"unknown function", trigger.Mapping{Queue: "q", Function: "nope"}, ferry.ENOTFOUND},
		{"no queue", trigger.Mapping{Function: "f"}, ferry.EINVALID},
		{"no function", trigger.Mapping{Queue: "q"}, ferry.EINVALID},
		{"not a queue ARN", trigger.Mapping{QueueARN: "arn:aws:sns:us-east-1:000000000000:t", Function: "slow"}, ferry.EINVALID},
		{"queue and ARN disagree", trigger.Mapping{Queue: "q", QueueARN: "arn:aws:sqs:us-east-1:000000000000:other", Function: "slow"}, ferry.EINVALID},
		{"function alias", trigger.Mapping{Queue: "q", Function: "arn:aws:lambda:us-east-1:000000000000:function:slow:prod"}, ferry.EINVALID},
		{"batch size too large", trigger.Mapping{Queue: "q", Function: "slow", BatchSize: 10001, MaximumBatchingWindow: time.Second}, ferry.EINVALID},
		{"negative batch size", trigger.Mapping{Queue: "q", Function: "slow", BatchSize: -1}, ferry.EINVALID},
		{"batch over 10 without window", trigger.Mapping{Queue: "q", Function: "slow", BatchSize: 11}, ferry.EINVALID},
		{"window too long", trigger.Mapping{Queue: "q", Function: "slow", MaximumBatchingWindow: 301 * time.Second}, ferry.EINVALID},
		{"maximum concurrency 1", trigger.Mapping{Queue: "q", Function: "slow", MaximumConcurrency: 1}, ferry.EINVALID},
		{"maximum concurrency 1001", trigger.Mapping{Queue: "q", Function: "slow", MaximumConcurrency: 1001}, ferry.EINVALID},
		{"visibility below function timeout", trigger.Mapping{Queue: "short", Function: "slow"}, ferry.EINVALID},
		{"duplicate", trigger.Mapping{QueueARN: existing.QueueARN, Function: "arn:aws:lambda:us-east-1:000000000000:function:f"}, ferry.ECONFLICT},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.svc.Create(context.Background(), tc.m)
			if got := ferry.ErrorCode(err); got != tc.code {
				t.Errorf("Create error = %v (%s), want code %s", err, got, tc.code)
			}
		})
	}
	got, err := b.svc.List(context.Background(), "", "")
	if err != nil || len(got) != 1 {
		t.Errorf("List = %v, %v; want only the first mapping", got, err)
	}
}

func TestCRUD(t *testing.T) {
	t.Parallel()
	b := setup(t, config{})
	b.addQueue(t, "q1", nil)
	b.addQueue(t, "q2", nil)
	b.addFunction(t, "f", "", 0)
	b.addFunction(t, "g", "", 0)
	ctx := context.Background()

	created := b.create(t, trigger.Mapping{QueueARN: "arn:aws:sqs:us-east-1:000000000000:q1",
		Function: "arn:aws:lambda:us-east-1:000000000000:function:f", Enabled: false})
	if created.UUID == "" || created.Queue != "q1" || created.Function != "f" || created.BatchSize != 10 ||
		created.State != trigger.StateCreating || created.LastModified.IsZero() {
		t.Errorf("Create = %+v", created)
	}
	other := b.create(t, trigger.Mapping{Queue: "q2", Function: "g", BatchSize: 50, MaximumBatchingWindow: 5 * time.Second, Enabled: false})

	got, err := b.svc.Get(ctx, created.UUID)
	if err != nil || got.State != trigger.StateDisabled || got.QueueARN != "arn:aws:sqs:us-east-1:000000000000:q1" {
		t.Errorf("Get = %+v, %v", got, err)
	}
	for _, tc := range []struct{ fn, q, want string }{
		{"f", "", created.UUID},
		{"arn:aws:lambda:us-east-1:000000000000:function:g", "", other.UUID},
		{"", "arn:aws:sqs:us-east-1:000000000000:q1", created.UUID},
		{"", "q2", other.UUID},
		{"g", "q1", ""},
	} {
		l, err := b.svc.List(ctx, tc.fn, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case tc.want == "" && len(l) != 0, tc.want != "" && (len(l) != 1 || l[0].UUID != tc.want):
			t.Errorf("List(%q, %q) = %+v, want %q", tc.fn, tc.q, l, tc.want)
		}
	}
	if l, _ := b.svc.List(ctx, "", ""); len(l) != 2 {
		t.Errorf("List all = %d mappings, want 2", len(l))
	}

	upd := got
	upd.BatchSize, upd.Function, upd.ReportBatchItemFailures, upd.MaximumConcurrency = 3, "g", true, 4
	res, err := b.svc.Update(ctx, upd)
	if err != nil || res.State != trigger.StateUpdating {
		t.Fatalf("Update = %+v, %v", res, err)
	}
	got, _ = b.svc.Get(ctx, created.UUID)
	if got.BatchSize != 3 || got.Function != "g" || !got.ReportBatchItemFailures || got.MaximumConcurrency != 4 || got.Queue != "q1" {
		t.Errorf("after Update, Get = %+v", got)
	}
	upd.Queue = "q2"
	if _, err := b.svc.Update(ctx, upd); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("Update changing the queue: %v, want EINVALID", err)
	}
	upd.Queue, upd.BatchSize = "", 20
	if _, err := b.svc.Update(ctx, upd); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("Update to batch 20 without a window: %v, want EINVALID", err)
	}
	upd.BatchSize, upd.Function = 1, "nope"
	if _, err := b.svc.Update(ctx, upd); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("Update to an unknown function: %v, want ENOTFOUND", err)
	}

	del, err := b.svc.Delete(ctx, created.UUID)
	if err != nil || del.State != trigger.StateDeleting || del.UUID != created.UUID {
		t.Errorf("Delete = %+v, %v", del, err)
	}
	for _, op := range []func() error{
		func() error { _, err := b.svc.Get(ctx, created.UUID); return err },
		func() error { _, err := b.svc.Delete(ctx, created.UUID); return err },
		func() error {
			_, err := b.svc.Update(ctx, trigger.Mapping{UUID: created.UUID, Function: "f"})
			return err
		},
	} {
		if err := op(); ferry.ErrorCode(err) != ferry.ENOTFOUND {
			t.Errorf("after Delete: %v, want ENOTFOUND", err)
		}
	}
	if l, _ := b.svc.List(ctx, "", ""); len(l) != 1 || l[0].UUID != other.UUID {
		t.Errorf("List after Delete = %+v", l)
	}
}

// Disabled mappings do not poll; enabling starts, disabling and deleting stop.
func TestEnableDisable(t *testing.T) {
	t.Parallel()
	b := setup(t, config{})
	// A long poll cancelled when a mapping stops may still hold the next
	// message at the server until it expires: it then reappears after the
	// visibility timeout.
	b.addQueue(t, "q", map[string]string{"VisibilityTimeout": "1"})
	b.addFunction(t, "f", "", time.Second)
	ctx := context.Background()
	m := b.create(t, trigger.Mapping{Queue: "q", Function: "f", Enabled: false})
	b.send(t, "q", msgs(1)...)
	b.invoker.none(t, 700*time.Millisecond)
	if v, _ := b.queueCounts(t, "q"); v != 1 || b.svc.Pollers(m.UUID) != 0 {
		t.Fatalf("disabled mapping: %d visible, %d pollers; want 1, 0", v, b.svc.Pollers(m.UUID))
	}
	m.Enabled = true
	if _, err := b.svc.Update(ctx, m); err != nil {
		t.Fatal(err)
	}
	b.invoker.next1(t, 5*time.Second)
	b.waitEmpty(t, "q", 5*time.Second)

	m.Enabled = false
	if _, err := b.svc.Update(ctx, m); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "pollers stop", func() bool { return b.svc.Pollers(m.UUID) == 0 })
	b.send(t, "q", msgs(1)...)
	b.invoker.none(t, 700*time.Millisecond)

	m.Enabled = true
	if _, err := b.svc.Update(ctx, m); err != nil {
		t.Fatal(err)
	}
	b.invoker.next1(t, 5*time.Second)
	if _, err := b.svc.Delete(ctx, m.UUID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "pollers stop after Delete", func() bool { return b.svc.Pollers(m.UUID) == 0 })
	b.send(t, "q", msgs(1)...)
	b.invoker.none(t, 700*time.Millisecond)
}

// Mappings live in JetStream: a new service on the same engine has them
// and polls them.
func TestRestartKeepsMappings(t *testing.T) {
	t.Parallel()
	b := setup(t, config{})
	// A stopped poller's cancelled long poll may hold a message until it
	// expires; a short visibility timeout brings it back quickly.
	b.addQueue(t, "q", map[string]string{"VisibilityTimeout": "1"})
	b.addFunction(t, "f", "", time.Second)
	ctx := context.Background()
	want := b.create(t, trigger.Mapping{Queue: "q", Function: "f", BatchSize: 20, MaximumBatchingWindow: 200 * time.Millisecond,
		ReportBatchItemFailures: true, MaximumConcurrency: 3, Enabled: true})
	want.State = trigger.StateEnabled
	b.addFunction(t, "f2", "", time.Second)
	off := b.create(t, trigger.Mapping{Queue: "q", Function: "f2", Enabled: false})
	off.State = trigger.StateDisabled
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := b.svc.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	if err := b.svc.Stop(sctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := b.svc.Get(ctx, want.UUID); ferry.ErrorCode(err) != ferry.EUNAVAILABLE {
		t.Errorf("Get on a stopped service: %v, want EUNAVAILABLE", err)
	}
	b.send(t, "q", msgs(2)...)

	svc := b.start(t)
	got, err := svc.Get(ctx, want.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("after restart\n got %+v\nwant %+v", got, want)
	}
	if got, _ := svc.Get(ctx, off.UUID); got != off || svc.Pollers(off.UUID) != 0 {
		t.Errorf("disabled mapping after restart: %+v, %d pollers", got, svc.Pollers(off.UUID))
	}
	sizes, _ := records(t, b.invoker, 2, 5*time.Second)
	if len(sizes) != 1 {
		t.Errorf("batch sizes %v, want one batch of 2", sizes)
	}
	b.waitEmpty(t, "q", 5*time.Second)
}

// Stop lets a running batch finish and settle; a Stop whose context ends
// first cancels it and the messages stay on the queue.
func TestStopFinishesInFlightBatch(t *testing.T) {
	t.Parallel()
	for _, finish := range []bool{true, false} {
		t.Run(map[bool]string{true: "finishes", false: "deadline"}[finish], func(t *testing.T) {
			t.Parallel()
			started, release := make(chan struct{}, 1), make(chan struct{})
			b := setup(t, config{script: func(ctx context.Context, req *ferry.InvokeRequest, _ sqsEvent) (*ferry.Result, error) {
				started <- struct{}{}
				select {
				case <-release:
					return ok(req, `null`), nil
				case <-ctx.Done():
					return nil, ferry.Errorf(ferry.EUNAVAILABLE, "stopping")
				}
			}})
			b.addQueue(t, "q", nil)
			b.addFunction(t, "f", "", 0)
			b.send(t, "q", msgs(1)...)
			b.create(t, trigger.Mapping{Queue: "q", Function: "f", Enabled: true})
			<-started
			timeout := 10 * time.Second
			if !finish {
				timeout = 200 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			stopped := make(chan error, 1)
			go func() { stopped <- b.svc.Stop(ctx) }()
			if finish {
				select {
				case err := <-stopped:
					t.Fatalf("Stop returned (%v) while a batch was running", err)
				case <-time.After(200 * time.Millisecond):
				}
				close(release)
			}
			err := <-stopped
			v, f := b.queueCounts(t, "q")
			if finish && (err != nil || v+f != 0) {
				t.Errorf("Stop = %v, queue %d+%d; want nil and the message deleted", err, v, f)
			}
			if !finish && (err == nil || f != 1) {
				t.Errorf("Stop = %v, in flight %d; want a deadline error and the message kept", err, f)
			}
		})
	}
}
