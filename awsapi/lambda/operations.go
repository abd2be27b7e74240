package lambdaapi

import "github.com/ferry-run/ferry"

// operationNotes are the caveats of operations this API serves; an
// operation without a row is supported as Lambda documents it.
var operationNotes = map[string]ferry.Operation{
	"CreateFunction": {Support: ferry.Supported, Note: "Zip packages uploaded as ZipFile; S3 code, images, Layers and FileSystemConfigs are refused by name. " +
		"Role must be an IAM role ARN and is stored, not assumed; Architectures and EphemeralStorage are stored and returned."},
	"UpdateFunctionCode": {Support: ferry.Supported, Note: "ZipFile only, as CreateFunction."},
	"GetFunction":        {Support: ferry.Supported, Note: "Code.Location is a URL on Ferry's API port serving the function's zip."},
	"Invoke": {Support: ferry.Supported, Note: "By $LATEST, or by a version or alias while it is the same code and configuration as $LATEST; " +
		"an older version is refused by name (Ferry runs a function's current code only)."},
	"PublishVersion":                  {Support: ferry.Supported, Note: "Snapshots the configuration and code; with nothing changed since the last version it returns that version, as Lambda does."},
	"CreateAlias":                     {Support: ferry.Supported, Note: "RoutingConfig (weighted versions) is refused by name."},
	"UpdateAlias":                     {Support: ferry.Supported, Note: "RoutingConfig is refused by name; RevisionId is checked."},
	"GetFunctionConfiguration":        {Support: ferry.Supported, Note: "A version or alias qualifier returns that version's snapshot."},
	"AddPermission":                   {Support: ferry.AcceptedNotEnforced, Note: "The statement is stored in the function's policy; Ferry has no IAM."},
	"RemovePermission":                {Support: ferry.AcceptedNotEnforced, Note: "Removes the statement from the stored policy."},
	"GetPolicy":                       {Support: ferry.AcceptedNotEnforced, Note: "Returns the stored policy exactly."},
	"PutFunctionEventInvokeConfig":    {Support: ferry.Supported, Note: "Destinations: functions, queues, topics, event buses. An S3 bucket (OnFailure) is refused by name: Ferry has no S3 service. Qualifier $LATEST only: per-version configs are not kept."},
	"UpdateFunctionEventInvokeConfig": {Support: ferry.Supported, Note: "As PutFunctionEventInvokeConfig."},
	"CreateEventSourceMapping":        {Support: ferry.Supported, Note: "Queues (SQS event sources) only; other sources are refused by name."},
}

// Operations lists the operations this API serves, sorted by name, with
// how it serves each. Any other path under the API's prefixes is answered
// with UnknownOperationException naming the method and path.
func (a *API) Operations() []ferry.Operation {
	var names []string
	for _, rt := range a.routeTable() {
		names = append(names, rt.Op)
	}
	return ferry.OperationsOf(names, operationNotes)
}
