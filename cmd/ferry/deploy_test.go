package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"go.yaml.in/yaml/v3"
)

// deployDir is the repository's deploy folder, seen from cmd/ferry.
const deployDir = "../../deploy"

// The deploy files are checked, not run: they parse, every flag they give
// Ferry exists (and takes the value given), and ports, host names, files
// and secrets named in one place are the ones defined in the other.

func readYAML(t *testing.T, name string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(deployDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var docs []map[string]any
	for {
		var d map[string]any
		if err := dec.Decode(&d); err != nil {
			if err.Error() == "EOF" {
				return docs
			}
			t.Fatalf("%s: %v", name, err)
		}
		docs = append(docs, d)
	}
}

// at walks a decoded YAML document by keys and list indexes.
func at(t *testing.T, v any, keys ...any) any {
	t.Helper()
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("want a mapping holding %q, have %T", k, v)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("want a list with item %d, have %v", k, v)
			}
			v = l[k]
		}
	}
	return v
}

// ferryArgs parses the `exec ferry up ...` of a shell command line with
// up's own flags, failing on a flag that does not exist; it returns the
// flag set's values and the positional arguments.
func ferryArgs(t *testing.T, sh string) (flag func(string) string, pos []string) {
	t.Helper()
	_, rest, ok := strings.Cut(sh, "exec ferry ")
	if !ok {
		t.Fatalf("command %q does not exec ferry", sh)
	}
	args := strings.Fields(strings.NewReplacer(`"`, "", "'", "").Replace(rest))
	if args[0] != "up" && args[0] != "server" {
		t.Fatalf("ferry %s: want up or server", args[0])
	}
	cmd, _, err := newRootCommand().Find(args[:1])
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.ParseFlags(args[1:]); err != nil {
		t.Fatalf("ferry %s: %v", strings.Join(args, " "), err)
	}
	return func(n string) string { return cmd.Flags().Lookup(n).Value.String() }, cmd.Flags().Args()
}

func port(t *testing.T, hostport string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// natsHosts are the host:port items of a comma-separated NATS URL list.
func natsHosts(t *testing.T, urls string) []string {
	t.Helper()
	var out []string
	for _, s := range strings.Split(urls, ",") {
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "nats" {
			t.Fatalf("NATS URL %q: %v", s, err)
		}
		out = append(out, u.Host)
	}
	return out
}

func TestDeployCompose(t *testing.T) {
	t.Parallel()
	conf, err := os.ReadFile(filepath.Join(deployDir, "nats.conf"))
	if err != nil {
		t.Fatal(err)
	}
	services := at(t, readYAML(t, "compose.yaml")[0], "services").(map[string]any)
	natsServices := []string{"nats1", "nats2", "nats3"}
	var clientPort int
	for _, name := range natsServices {
		svc := services[name]
		if svc == nil {
			t.Fatalf("compose has no service %s", name)
		}
		if !slices.Contains(at(t, svc, "volumes").([]any), any("./nats.conf:/etc/nats/nats.conf:ro")) ||
			fmt.Sprint(at(t, svc, "command")) != "[-c /etc/nats/nats.conf]" {
			t.Errorf("%s does not run with deploy/nats.conf", name)
		}
		// The server's configuration as this service's environment makes it.
		text := strings.NewReplacer("$SERVER_NAME", name, "$FERRY_NATS_PASSWORD", "secret").Replace(string(conf))
		opts := &natsserver.Options{}
		if err := opts.ProcessConfigString(text); err != nil {
			t.Fatalf("nats.conf for %s: %v", name, err)
		}
		if opts.ServerName != at(t, svc, "environment", "SERVER_NAME") || !opts.JetStream || opts.MaxPayload < 2<<20 {
			t.Errorf("%s: server name %q, JetStream %v, max payload %d", name, opts.ServerName, opts.JetStream, opts.MaxPayload)
		}
		var routes []string
		for _, r := range opts.Routes {
			routes = append(routes, r.Hostname())
			if r.Port() != fmt.Sprint(opts.Cluster.Port) {
				t.Errorf("route %s is not the cluster port %d", r, opts.Cluster.Port)
			}
		}
		if !slices.Equal(routes, natsServices) {
			t.Errorf("routes %v, want the NATS services %v", routes, natsServices)
		}
		found := false
		for _, u := range opts.Users {
			found = found || u.Username == "ferry" && u.Account != nil && u.Account.Name == "FERRY"
		}
		if !found || !strings.Contains(text, "jetstream: enabled") {
			t.Error("nats.conf has no user ferry in a JetStream account FERRY")
		}
		clientPort = opts.Port
	}

	nodes := map[string]bool{}
	for _, name := range []string{"ferry1", "ferry2"} {
		svc := services[name]
		if svc == nil {
			t.Fatalf("compose has no service %s", name)
		}
		sh := fmt.Sprint(at(t, svc, "command", 0))
		flag, pos := ferryArgs(t, sh)
		api := port(t, flag("api"))
		if !slices.Contains(at(t, svc, "ports").([]any), any(fmt.Sprintf("127.0.0.1:%s:%s", map[string]string{"ferry1": "4566", "ferry2": "4567"}[name], api))) {
			t.Errorf("%s: no published port for --api %s", name, api)
		}
		if hc := fmt.Sprint(at(t, svc, "healthcheck", "test")); !strings.Contains(hc, "127.0.0.1:"+api+"/readyz") {
			t.Errorf("%s: healthcheck %s is not /readyz on --api", name, hc)
		}
		for _, h := range natsHosts(t, flag("nats-url")) {
			host, p, _ := net.SplitHostPort(h)
			if !slices.Contains(natsServices, host) || p != fmt.Sprint(clientPort) {
				t.Errorf("%s: --nats-url names %s, not a NATS service on its client port %d", name, h, clientPort)
			}
		}
		if creds := flag("nats-creds"); !strings.Contains(sh, "> "+creds) || !strings.Contains(sh, "ferry:%s") {
			t.Errorf("%s: --nats-creds %s is not written before the start", name, creds)
		}
		if at(t, svc, "environment", "FERRY_ACCESS_KEYS") == nil || at(t, svc, "environment", "FERRY_NATS_PASSWORD") == nil {
			t.Errorf("%s: access keys or NATS password not passed", name)
		}
		n := flag("node-name")
		if n == "" || nodes[n] {
			t.Errorf("%s: --node-name %q is empty or taken", name, n)
		}
		nodes[n] = true
		stack := ""
		for _, v := range at(t, svc, "volumes").([]any) {
			if src, dst, _ := strings.Cut(strings.TrimSuffix(v.(string), ":ro"), ":"); len(pos) == 1 && dst == pos[0] {
				stack = src
			}
		}
		if _, err := os.Stat(filepath.Join(deployDir, stack, "serverless.yml")); stack == "" || err != nil {
			t.Errorf("%s: the stack folder %v mounted at %v has no serverless.yml (%v)", name, stack, pos, err)
		}
	}
	b := at(t, services["ferry1"], "build").(map[string]any)
	if _, err := os.Stat(filepath.Join(deployDir, b["context"].(string), b["dockerfile"].(string))); err != nil {
		t.Errorf("ferry1 build: %v", err)
	}
}

func TestDeployKubernetes(t *testing.T) {
	t.Parallel()
	values := readYAML(t, "k8s/nats-values.yaml")[0]
	if at(t, values, "config", "cluster", "enabled") != true || at(t, values, "config", "cluster", "replicas").(int) < 3 ||
		at(t, values, "config", "jetstream", "enabled") != true {
		t.Error("nats-values.yaml is not a JetStream cluster of at least 3 servers")
	}
	acct := at(t, values, "config", "merge", "accounts", "FERRY")
	if at(t, acct, "jetstream") != "enabled" || at(t, acct, "users", 0, "user") != "ferry" ||
		at(t, acct, "users", 0, "password") != "<< $FERRY_NATS_PASSWORD >>" {
		t.Errorf("nats-values.yaml: account FERRY %v", acct)
	}
	natsSecret := at(t, values, "container", "env", "FERRY_NATS_PASSWORD", "valueFrom", "secretKeyRef")

	var deploy, svc map[string]any
	for _, d := range readYAML(t, "k8s/ferry.yaml") {
		switch d["kind"] {
		case "Deployment":
			deploy = d
		case "Service":
			svc = d
		}
	}
	if deploy == nil || svc == nil {
		t.Fatal("ferry.yaml needs a Deployment and a Service")
	}
	c := at(t, deploy, "spec", "template", "spec", "containers", 0)
	flag, pos := ferryArgs(t, fmt.Sprint(at(t, c, "args", 0)))
	api, gw := port(t, flag("api")), port(t, flag("gateway"))
	if at(t, c, "readinessProbe", "httpGet", "path") != "/readyz" || fmt.Sprint(at(t, c, "readinessProbe", "httpGet", "port")) != api {
		t.Errorf("readiness probe %v is not /readyz on --api %s", at(t, c, "readinessProbe"), api)
	}
	if fmt.Sprint(at(t, c, "livenessProbe", "httpGet", "port")) != api {
		t.Errorf("liveness probe is not on --api %s", api)
	}
	// The chart's release "nats" serves clients on the Service nats:4222.
	if h := natsHosts(t, flag("nats-url")); !slices.Equal(h, []string{"nats:4222"}) {
		t.Errorf("--nats-url %v, want the chart's Service nats:4222", h)
	}
	env := map[string]any{}
	for _, e := range at(t, c, "env").([]any) {
		env[at(t, e, "name").(string)] = at(t, e, "valueFrom")
	}
	if got := at(t, env["FERRY_NATS_PASSWORD"], "secretKeyRef"); fmt.Sprint(got) != fmt.Sprint(natsSecret) {
		t.Errorf("Ferry reads the NATS password from %v, the NATS servers from %v", got, natsSecret)
	}
	if env["FERRY_ACCESS_KEYS"] == nil || env["POD_NAME"] == nil || !strings.Contains(fmt.Sprint(at(t, c, "args", 0)), `--node-name "$POD_NAME"`) {
		t.Error("access keys or the pod's node name not passed")
	}
	ports := map[string]bool{}
	for _, p := range at(t, c, "ports").([]any) {
		ports[fmt.Sprint(at(t, p, "containerPort"))] = true
	}
	if !ports[api] || !ports[gw] {
		t.Errorf("container ports %v lack --api %s or --gateway %s", ports, api, gw)
	}
	for _, p := range at(t, svc, "spec", "ports").([]any) {
		if !ports[fmt.Sprint(at(t, p, "targetPort"))] {
			t.Errorf("Service targets port %v, which the container does not open", at(t, p, "targetPort"))
		}
	}
	mounts := map[string]string{}
	for _, m := range at(t, c, "volumeMounts").([]any) {
		mounts[at(t, m, "mountPath").(string)] = at(t, m, "name").(string)
	}
	if len(pos) != 1 || mounts[pos[0]] == "" || mounts[flag("data")] == "" {
		t.Errorf("stack %v or --data %s is not a mounted volume (%v)", pos, flag("data"), mounts)
	}
}
