package snsapi

import "github.com/ferry-run/ferry"

// operationNotes are the caveats of operations this API serves; an
// operation without a row is supported as SNS documents it.
var operationNotes = map[string]ferry.Operation{
	"CreateTopic": {Support: ferry.Supported, Note: "Standard and FIFO topics (.fifo names, FifoTopic, ContentBasedDeduplication; a FIFO topic delivers to FIFO queues only). " +
		"DataProtectionPolicy is refused by name. Tags and the Policy attribute are stored and returned; policies are not enforced."},
	"GetTopicAttributes":  {Support: ferry.Supported, Note: "Policy is SNS's default policy until one is set."},
	"SetTopicAttributes":  {Support: ferry.Supported, Note: "Policy is stored, not enforced; KMS attributes are refused by name."},
	"Subscribe":           {Support: ferry.Supported, Note: "Protocols lambda, sqs, http and https; others (email, sms, application, firehose) are refused by name."},
	"ConfirmSubscription": {Support: ferry.Supported, Note: "Subscriptions to Ferry's own functions and queues need no confirmation."},
	"Unsubscribe":         {Support: ferry.Supported, Note: "A subscription already gone (or whose topic is gone) unsubscribes without error, as on AWS."},
	"AddPermission":       {Support: ferry.AcceptedNotEnforced, Note: "Adds a statement (Sid = Label) to the topic's stored Policy."},
	"RemovePermission":    {Support: ferry.AcceptedNotEnforced, Note: "Removes the statement from the topic's stored Policy."},
}

// Operations lists the operations this API serves, sorted by name, with
// how it serves each. Any other action is answered with InvalidAction
// naming it, in SNS's XML error shape.
func (a *API) Operations() []ferry.Operation {
	names := make([]string, 0, len(a.actions))
	for name := range a.actions {
		names = append(names, name)
	}
	return ferry.OperationsOf(names, operationNotes)
}
