package sqsapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/queue"
)

// Message move task statuses.
const (
	taskCompleted = "COMPLETED"
	taskFailed    = "FAILED"
)

// maxTasksKept is how many finished tasks are kept per source queue.
const maxTasksKept = 10

// moveTask is a finished message move task.
type moveTask struct {
	id      string
	entry   moveTaskEntry
	started time.Time
}

// taskHandle is what a TaskHandle encodes.
type taskHandle struct {
	TaskID    string `json:"taskId"`
	SourceARN string `json:"sourceArn"`
}

// moveQueue resolves the ARN member of a message move task to a queue name;
// an unknown queue is ResourceNotFoundException.
func (a *API) moveQueue(member, arn string) (string, error) {
	if arn == "" {
		return "", fail(errMissingParameter, "the request must contain the parameter %s", member)
	}
	p, err := ferry.ParseARN(arn)
	if err != nil || p.Kind != ferry.KindQueue {
		return "", fail(errInvalidParameter, "%s %q is not a queue ARN", member, arn)
	}
	if p.Account != a.realm.Account || !ferry.ValidResourceName(p.Name) {
		return "", fail(errResourceNotFound, "the resource %s does not exist", arn)
	}
	if _, err := a.queues.Info(p.Name); err != nil {
		return "", as(err, ferry.ENOTFOUND, errResourceNotFound)
	}
	return p.Name, nil
}

// startMessageMoveTask moves the messages of a dead-letter queue back to
// their source queues (or to DestinationArn) and records the finished task.
// The move runs within the request.
func (a *API) startMessageMoveTask(ctx context.Context, c *call) (any, error) {
	in := c.in
	if in.MaxNumberOfMessagesPerSecond != nil {
		return nil, fail(errInvalidParameter, "MaxNumberOfMessagesPerSecond is not supported: Ferry moves messages as fast as it can")
	}
	src, err := a.moveQueue("SourceArn", in.SourceARN)
	if err != nil {
		return nil, err
	}
	dst := ""
	if in.DestinationARN != "" {
		if dst, err = a.moveQueue("DestinationArn", in.DestinationARN); err != nil {
			return nil, err
		}
	}
	sources, err := a.deadLetterSources(ctx, src)
	if err != nil {
		return nil, err
	}
	if len(sources) == 0 {
		return nil, fail(errInvalidParameter, "source queue %s must be configured as a dead-letter queue of another queue", in.SourceARN)
	}
	attrs, err := a.queues.GetQueueAttributes(ctx, src, []string{queue.AttrNumMessages})
	if err != nil {
		return nil, err
	}
	toMove, _ := strconv.ParseInt(attrs[queue.AttrNumMessages], 10, 64)
	started := time.Now()
	moved, err := a.queues.Redrive(ctx, src, dst)
	if err != nil && moved == 0 {
		return nil, err
	}
	t := moveTask{id: uuid.NewString(), started: started, entry: moveTaskEntry{
		Status: taskCompleted, SourceARN: in.SourceARN, DestinationARN: in.DestinationARN,
		ApproximateNumberOfMessagesMoved: int64(moved), ApproximateNumberOfMessagesToMove: max(toMove, int64(moved)),
		StartedTimestamp: started.UnixMilli(),
	}}
	if err != nil {
		_, msg, _ := resolve(err)
		t.entry.Status, t.entry.FailureReason = taskFailed, msg
		a.log.Warn("message move task failed", "source", src, "moved", moved, "err", err)
	}
	a.mu.Lock()
	key := a.realm.QueueARN(src)
	a.tasks[key] = append([]moveTask{t}, a.tasks[key]...)
	if len(a.tasks[key]) > maxTasksKept {
		a.tasks[key] = a.tasks[key][:maxTasksKept]
	}
	a.mu.Unlock()
	b, _ := json.Marshal(taskHandle{TaskID: t.id, SourceARN: key})
	return startMoveResult{TaskHandle: base64.StdEncoding.EncodeToString(b)}, nil
}

func (a *API) listMessageMoveTasks(ctx context.Context, c *call) (any, error) {
	src, err := a.moveQueue("SourceArn", c.in.SourceARN)
	if err != nil {
		return nil, err
	}
	limit := 1
	if m := c.in.MaxResults; m != nil {
		if *m < 1 || *m > maxTasksKept {
			return nil, fail(errInvalidParameter, "MaxResults must be from 1 to %d, got %d", maxTasksKept, *m)
		}
		limit = *m
	}
	a.mu.Lock()
	tasks := a.tasks[a.realm.QueueARN(src)]
	a.mu.Unlock()
	out := listMoveTasksResult{Results: []moveTaskEntry{}}
	for _, t := range tasks[:min(limit, len(tasks))] {
		out.Results = append(out.Results, t.entry)
	}
	return out, nil
}

// cancelMessageMoveTask answers that no task is running: every move runs to
// completion within StartMessageMoveTask.
func (a *API) cancelMessageMoveTask(ctx context.Context, c *call) (any, error) {
	if c.in.TaskHandle == "" {
		return nil, fail(errMissingParameter, "the request must contain the parameter TaskHandle")
	}
	return nil, fail(errResourceNotFound, "message move task %q is not running (Ferry runs each move to completion when it starts)", c.in.TaskHandle)
}
