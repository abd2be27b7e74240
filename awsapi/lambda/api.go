// Package lambdaapi is the AWS Lambda REST-JSON front door: it serves the
// Lambda API paths (Invoke, event invoke config, function CRUD, concurrency,
// recursion config, permissions, queue event source mappings) so
// aws-sdk-go-v2's lambda client and the AWS CLI work against Ferry with a
// custom endpoint. It owns the wire format only: function configurations
// live in a ferry.FunctionStore, invocations go to a ferry.Invoker /
// ferry.AsyncInvoker, event source mappings to an EventSourceMappings
// service, and uploaded code is unpacked under Config.CodeDir as
// <CodeDir>/<function>/<revision>/, its zip kept in a CodeStore (when
// configured) so Restore can rebuild a lost code directory.
//
// Ferry runs the $LATEST version of each function only: any other qualifier
// is answered with ResourceNotFoundException. Function ARNs are accepted
// with any region and account; responses use Config.Realm.
package lambdaapi

import (
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
)

// Config holds the API's dependencies.
type Config struct {
	Realm     ferry.Realm
	Functions ferry.FunctionStore
	Invoker   ferry.Invoker      // RequestResponse invocations
	Async     ferry.AsyncInvoker // Event invocations
	// CodeDir is where CreateFunction and UpdateFunctionCode unpack code:
	// <CodeDir>/<function>/<revision>/.
	CodeDir string
	// Code, when set, keeps the zip of each function's current code
	// revision so Restore can rebuild a lost CodeDir (NewObjectCodeStore).
	Code CodeStore
	// EventSourceMappings, when set, serves the event source mapping
	// operations (pass *trigger.Service); without it they answer
	// ServiceException.
	EventSourceMappings EventSourceMappings
	// Versions keeps published versions and aliases (NewKVVersionStore);
	// the default keeps them in memory.
	Versions VersionStore
	// Meta stores function tags and permission policies; the default
	// keeps them in memory.
	Meta   ferry.ResourceMeta
	Logger *slog.Logger
}

// API serves the Lambda REST-JSON protocol.
type API struct {
	realm    ferry.Realm
	fns      ferry.FunctionStore
	invoker  ferry.Invoker
	async    ferry.AsyncInvoker
	codeDir  string
	code     CodeStore
	esm      EventSourceMappings
	meta     ferry.ResourceMeta
	versions VersionStore
	log      *slog.Logger
	mux      *http.ServeMux

	// policyMu serialises this node's edits of function policies.
	policyMu sync.Mutex
	// localMu serialises unpacking other servers' code revisions here.
	localMu sync.Mutex
	// roleOnce logs, once, that execution roles are not assumed.
	roleOnce sync.Once
}

// routePrefixes are the API version prefixes of the operations served.
var routePrefixes = []string{
	"/2015-03-31/", // functions, invoke, code, configuration, policy
	"/2017-03-31/", // tags
	"/2017-10-31/", // put/delete concurrency
	"/2019-09-25/", // event invoke config
	"/2019-09-30/", // get concurrency
	"/2024-08-31/", // recursion config
}

// New returns an API on cfg.
func New(cfg Config) *API {
	if cfg.Realm == (ferry.Realm{}) {
		cfg.Realm = ferry.DefaultRealm
	}
	if cfg.CodeDir != "" {
		if abs, err := filepath.Abs(cfg.CodeDir); err == nil {
			cfg.CodeDir = abs
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Meta == nil {
		cfg.Meta = ferry.NewMemoryMeta()
	}
	if cfg.Versions == nil {
		cfg.Versions = &memoryVersions{}
	}
	a := &API{
		realm:    cfg.Realm,
		fns:      cfg.Functions,
		invoker:  cfg.Invoker,
		async:    cfg.Async,
		codeDir:  cfg.CodeDir,
		code:     cfg.Code,
		esm:      cfg.EventSourceMappings,
		meta:     cfg.Meta,
		versions: cfg.Versions,
		log:      log,
		mux:      http.NewServeMux(),
	}
	a.routes()
	return a
}

// route is one path pattern of an operation; Op is "" for Ferry's own
// paths (the code zip behind GetFunction's Code.Location).
type route struct {
	Op      string
	Pattern string
	Handle  http.HandlerFunc
}

// routeTable is every path this API serves, by operation: the mux and the
// operation list (Operations) are both built from it.
func (a *API) routeTable() []route {
	return []route{
		{"Invoke", "POST /2015-03-31/functions/{name}/invocations", a.invoke},
		{"PublishVersion", "POST /2015-03-31/functions/{name}/versions", a.publishVersion},
		{"ListVersionsByFunction", "GET /2015-03-31/functions/{name}/versions", a.listVersionsByFunction},
		{"CreateAlias", "POST /2015-03-31/functions/{name}/aliases", a.createAlias},
		{"ListAliases", "GET /2015-03-31/functions/{name}/aliases", a.listAliases},
		{"GetAlias", "GET /2015-03-31/functions/{name}/aliases/{alias}", a.getAlias},
		{"UpdateAlias", "PUT /2015-03-31/functions/{name}/aliases/{alias}", a.updateAlias},
		{"DeleteAlias", "DELETE /2015-03-31/functions/{name}/aliases/{alias}", a.deleteAlias},
		{"PutFunctionEventInvokeConfig", "PUT /2019-09-25/functions/{name}/event-invoke-config", a.putEventInvokeConfig},
		{"UpdateFunctionEventInvokeConfig", "POST /2019-09-25/functions/{name}/event-invoke-config", a.updateEventInvokeConfig},
		{"GetFunctionEventInvokeConfig", "GET /2019-09-25/functions/{name}/event-invoke-config", a.getEventInvokeConfig},
		{"DeleteFunctionEventInvokeConfig", "DELETE /2019-09-25/functions/{name}/event-invoke-config", a.deleteEventInvokeConfig},
		{"ListFunctionEventInvokeConfigs", "GET /2019-09-25/functions/{name}/event-invoke-config/list", a.listEventInvokeConfigs},
		{"CreateFunction", "POST /2015-03-31/functions", a.createFunction},
		{"ListFunctions", "GET /2015-03-31/functions", a.listFunctions},
		{"ListFunctions", "GET /2015-03-31/functions/{$}", a.listFunctions},
		{"GetFunction", "GET /2015-03-31/functions/{name}", a.getFunction},
		{"DeleteFunction", "DELETE /2015-03-31/functions/{name}", a.deleteFunction},
		{"GetFunctionConfiguration", "GET /2015-03-31/functions/{name}/configuration", a.getFunctionConfiguration},
		{"UpdateFunctionConfiguration", "PUT /2015-03-31/functions/{name}/configuration", a.updateFunctionConfiguration},
		{"UpdateFunctionCode", "PUT /2015-03-31/functions/{name}/code", a.updateFunctionCode},
		{"AddPermission", "POST /2015-03-31/functions/{name}/policy", a.addPermission},
		{"GetPolicy", "GET /2015-03-31/functions/{name}/policy", a.getPolicy},
		{"RemovePermission", "DELETE /2015-03-31/functions/{name}/policy/{sid}", a.removePermission},
		{"", "GET /2015-03-31/functions/{name}/code.zip", a.serveCodeZip},
		{"TagResource", "POST /2017-03-31/tags/{arn}", a.tagResource},
		{"ListTags", "GET /2017-03-31/tags/{arn}", a.listTags},
		{"UntagResource", "DELETE /2017-03-31/tags/{arn}", a.untagResource},
		{"PutFunctionConcurrency", "PUT /2017-10-31/functions/{name}/concurrency", a.putFunctionConcurrency},
		{"DeleteFunctionConcurrency", "DELETE /2017-10-31/functions/{name}/concurrency", a.deleteFunctionConcurrency},
		{"GetFunctionConcurrency", "GET /2019-09-30/functions/{name}/concurrency", a.getFunctionConcurrency},
		{"CreateEventSourceMapping", "POST /2015-03-31/event-source-mappings", a.createEventSourceMapping},
		{"CreateEventSourceMapping", "POST /2015-03-31/event-source-mappings/{$}", a.createEventSourceMapping},
		{"ListEventSourceMappings", "GET /2015-03-31/event-source-mappings", a.listEventSourceMappings},
		{"ListEventSourceMappings", "GET /2015-03-31/event-source-mappings/{$}", a.listEventSourceMappings},
		{"GetEventSourceMapping", "GET /2015-03-31/event-source-mappings/{uuid}", a.getEventSourceMapping},
		{"UpdateEventSourceMapping", "PUT /2015-03-31/event-source-mappings/{uuid}", a.updateEventSourceMapping},
		{"DeleteEventSourceMapping", "DELETE /2015-03-31/event-source-mappings/{uuid}", a.deleteEventSourceMapping},
		{"PutFunctionRecursionConfig", "PUT /2024-08-31/functions/{name}/recursion-config", a.putFunctionRecursionConfig},
		{"GetFunctionRecursionConfig", "GET /2024-08-31/functions/{name}/recursion-config", a.getFunctionRecursionConfig},
	}
}

func (a *API) routes() {
	for _, rt := range a.routeTable() {
		a.mux.HandleFunc(rt.Pattern, rt.Handle)
	}
}

// Routes returns the path prefixes this API owns, for a router that shares
// the port with other protocols.
func (a *API) Routes() []string {
	return append([]string(nil), routePrefixes...)
}

// Handler returns the HTTP handler for the Lambda paths. Every response
// carries an x-amzn-RequestId header; unknown operations under the owned
// prefixes get a Lambda-style error.
func (a *API) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(hdrRequestID, uuid.NewString())
		if _, pattern := a.mux.Handler(r); pattern == "" {
			writeUnknownOperation(w, r)
			return
		}
		a.mux.ServeHTTP(w, r)
	})
}
