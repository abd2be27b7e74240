package eventsapi

import "github.com/ferry-run/ferry"

// operationNotes are the caveats of operations this API serves; an
// operation without a row is supported as EventBridge documents it.
var operationNotes = map[string]ferry.Operation{
	"PutRule": {Support: ferry.Supported, Note: "ScheduleExpression runs on Ferry's scheduler (default bus; not together with an EventPattern). " +
		"RoleArn is accepted and not used. Tags apply to a rule PutRule creates."},
	"PutTargets": {Support: ferry.Supported, Note: "Targets: functions, queues, topics and event buses; other ARNs and target parameters " +
		"(Ecs, Http, Kinesis, SqsParameters, DeadLetterConfig, RetryPolicy, ...) fail their entry by name."},
	"CreateEventBus":  {Support: ferry.Supported, Note: "EventSourceName, KmsKeyIdentifier, DeadLetterConfig and LogConfig are refused by name."},
	"CreateArchive":   {Support: ferry.Supported, Note: "Creates the managed rule Events-Archive-<name>. KmsKeyIdentifier is refused by name."},
	"UpdateArchive":   {Support: ferry.Supported, Note: "KmsKeyIdentifier is refused by name."},
	"DescribeArchive": {Support: ferry.Supported, Note: "SizeBytes is not reported."},
	"CancelReplay":    {Support: ferry.Supported, Note: "A running replay stops after its current batch of up to 100 events."},
	"DeleteRule":      {Support: ferry.Supported, Note: "Deleting a rule that does not exist succeeds, as on AWS; a managed rule needs Force."},
}

// Operations lists the operations this API serves, sorted by name, with
// how it serves each. Any other operation is answered with
// UnknownOperationException naming it.
func (a *API) Operations() []ferry.Operation {
	names := make([]string, 0, len(a.ops))
	for name := range a.ops {
		names = append(names, name)
	}
	return ferry.OperationsOf(names, operationNotes)
}
