package sqsapi

import "github.com/ferry-run/ferry"

// operationNotes are the caveats of operations this API serves; an
// operation without a row is supported as SQS documents it.
var operationNotes = map[string]ferry.Operation{
	"CreateQueue": {Support: ferry.Supported, Note: "Standard and FIFO queues (.fifo names, FifoQueue, ContentBasedDeduplication, DeduplicationScope; " +
		"FifoThroughputLimit is stored, no quota applied). KMS and SSE attributes are refused by name. " +
		"The Policy attribute and tags are stored and returned; policies are not enforced."},
	"SetQueueAttributes":    {Support: ferry.Supported, Note: "As CreateQueue: Policy is stored, not enforced."},
	"AddPermission":         {Support: ferry.AcceptedNotEnforced, Note: "Adds a statement (Sid = Label) to the stored Policy attribute."},
	"RemovePermission":      {Support: ferry.AcceptedNotEnforced, Note: "Removes the statement from the stored Policy attribute."},
	"StartMessageMoveTask":  {Support: ferry.Supported, Note: "MaxNumberOfMessagesPerSecond is refused by name; a task runs to completion within the call."},
	"ListMessageMoveTasks":  {Support: ferry.Supported, Note: "Completed tasks are kept in memory and lost on restart."},
	"CancelMessageMoveTask": {Support: ferry.Supported, Note: "Tasks finish within StartMessageMoveTask, so there is never one to cancel (ResourceNotFoundException)."},
}

// Operations lists the operations this API serves, sorted by name, with
// how it serves each. Any other operation is answered with
// UnknownOperationException (query protocol: InvalidAction) naming it.
func (a *API) Operations() []ferry.Operation {
	names := make([]string, 0, len(a.ops))
	for name := range a.ops {
		names = append(names, name)
	}
	return ferry.OperationsOf(names, operationNotes)
}
