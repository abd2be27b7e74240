package main

import (
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/async"
	"github.com/ferry-run/ferry/web"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "ferry",
		Short:         "Durable asynchronous Lambda functions and destinations, on an embedded NATS JetStream (or an external one)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRuntimeCommand())
	root.AddCommand(newServerCommand(), newUpCommand(), newInvokeCommand(),
		newSendCommand(), newReceiveCommand(), newPublishCommand(), newPutEventsCommand(), newLogsCommand(),
		newInvocationsCommand(), newTraceCommand(), newGraphCommand(), newQueueCommand(), newRedriveCommand(), newBenchCommand())
	withUsage(root)
	return root
}

// serverFlags are the flags shared by commands that start a server.
type serverFlags struct {
	dataDir     string
	apiAddr     string
	gatewayAddr string
	clockScale  float64
	region      string
	account     string
	node        string
	idle        time.Duration
	syncAlways  bool
	logLevel    string
	natsListen  string
	retention   time.Duration
	otlp        string
	natsURL     string
	auth        bool
	accessKeys  []string
	limits      ferry.ServerLimits
	natsAuth    natsFlags
	origins     []string
	historyMax  string
	shutdown    time.Duration
	ackWait     time.Duration
	replicas    int
	python      string
	nodeName    string
	pprof       bool
	concurrency int
}

func (f *serverFlags) register(fs *pflag.FlagSet, defaultDataDir string) {
	fs.StringVar(&f.dataDir, "data", defaultDataDir, "data directory (JetStream store, function code)")
	fs.StringVar(&f.apiAddr, "api", ferry.DefaultAPIAddr, "address of the AWS APIs (Lambda, SQS, SNS, EventBridge), the dashboard (/_ferry/) and /metrics")
	fs.StringVar(&f.gatewayAddr, "gateway", "127.0.0.1:3000", "address of the HTTP gateway (routes of the stack)")
	fs.Float64Var(&f.clockScale, "clock-scale", 1, "multiply AWS's async delays (retries, backoff, max event age) by this; 0.01 makes a minute 600 ms")
	fs.StringVar(&f.region, "region", ferry.DefaultRegion, "region in ARNs")
	fs.StringVar(&f.account, "account", ferry.DefaultAccount, "account id in ARNs")
	fs.StringVar(&f.node, "node", "node", "Node.js binary for nodejs* runtimes")
	fs.DurationVar(&f.idle, "idle-timeout", 5*time.Minute, "stop function instances idle this long")
	fs.BoolVar(&f.syncAlways, "sync-always", false, "fsync every write (survives power loss; slower)")
	fs.StringVar(&f.logLevel, "log-level", "info", "server log level: debug, info, warn, error")
	fs.DurationVar(&f.retention, "history-retention", 24*time.Hour, "how long invocation histories are kept")
	fs.StringVar(&f.otlp, "otlp-endpoint", "", "export every finished invocation as an OpenTelemetry span to this OTLP/HTTP collector (e.g. http://127.0.0.1:4318)")
	fs.BoolVar(&f.auth, "auth", false, "require SigV4-signed requests on the API port (always on for a non-loopback --api)")
	fs.StringArrayVar(&f.accessKeys, "access-key", nil, "ID:SECRET access key accepted when authentication is on (repeatable; env FERRY_ACCESS_KEYS=ID:SECRET,...)")
	fs.StringArrayVar(&f.origins, "allow-origin", nil, "let web pages of this origin (e.g. http://localhost:5173) call the API port (repeatable; pages of other sites are refused)")
	fs.StringVar(&f.natsListen, "nats-listen", "", "open the embedded NATS client port on this address (off by default)")
	fs.StringVar(&f.natsURL, "nats-url", "", "use an external NATS JetStream cluster at this URL instead of the embedded server")
	f.registerLimits(fs)
	f.natsAuth.register(fs)
	f.registerEngine(fs)
	f.registerCluster(fs)
	f.registerPython(fs)
	fs.IntVar(&f.concurrency, "concurrency", async.DefaultConcurrency, "account concurrency: most async invocations running at once across every function (one function runs at most 8 per CPU, and only as many as add throughput)")
	fs.BoolVar(&f.pprof, "pprof", false, "serve Go's CPU, heap and goroutine profiles at /debug/pprof/ on the API port (calls need the "+web.TokenHeader+" header, see GET /_ferry/token)")
	fs.DurationVar(&f.ackWait, "async-ack-wait", 30*time.Second, "how long an async event held by a worker that stopped (a crash) waits before it runs again")
}

func (f *serverFlags) config() (Config, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.logLevel)); err != nil {
		return Config{}, ferry.Errorf(ferry.EINVALID, "--log-level %q: want debug, info, warn or error", f.logLevel)
	}
	if f.clockScale <= 0 {
		return Config{}, ferry.Errorf(ferry.EINVALID, "--clock-scale must be > 0, got %v", f.clockScale)
	}
	keys, err := f.keys()
	if err != nil {
		return Config{}, err
	}
	origins, err := parseOrigins(f.origins)
	if err != nil {
		return Config{}, err
	}
	historyMax, err := parseSize("--history-max", f.historyMax)
	if err != nil {
		return Config{}, err
	}
	if err := checkReplicas(f.replicas); err != nil {
		return Config{}, err
	}
	if f.concurrency < 1 {
		return Config{}, ferry.Errorf(ferry.EINVALID, "--concurrency must be >= 1, got %d", f.concurrency)
	}
	if f.shutdown <= 0 {
		return Config{}, ferry.Errorf(ferry.EINVALID, "--shutdown-timeout must be > 0, got %v", f.shutdown)
	}
	return Config{
		DataDir: f.dataDir, APIAddr: f.apiAddr, GatewayAddr: f.gatewayAddr, ClockScale: f.clockScale,
		Realm:      ferry.Realm{Region: f.region, Account: f.account},
		NodeBinary: f.node, IdleTimeout: f.idle, SyncAlways: f.syncAlways,
		NATSListen: f.natsListen, NATSURL: f.natsURL, NATSAuth: f.natsAuth.auth(), Auth: f.auth, AccessKeys: keys, HistoryRetention: f.retention, OTLPEndpoint: f.otlp,
		Limits: f.limits, AllowOrigins: origins,
		HistoryMax: historyMax, ShutdownTimeout: f.shutdown,
		AsyncAckWait: f.ackWait, Replicas: f.replicas, PythonBinary: f.python, NodeName: f.nodeName, Pprof: f.pprof, Concurrency: f.concurrency,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})),
	}, nil
}

// keys reads the --access-key flags and FERRY_ACCESS_KEYS.
func (f *serverFlags) keys() (map[string]string, error) {
	keys := map[string]string{}
	all := f.accessKeys
	if env := os.Getenv("FERRY_ACCESS_KEYS"); env != "" {
		all = append(all, strings.Split(env, ",")...)
	}
	for _, kv := range all {
		id, secret, ok := strings.Cut(kv, ":")
		if !ok || id == "" || secret == "" {
			return nil, ferry.Errorf(ferry.EINVALID, "--access-key %q: want ID:SECRET", kv)
		}
		keys[id] = secret
	}
	return keys, nil
}
