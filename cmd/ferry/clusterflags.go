package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// registerCluster adds the flags about running on a JetStream cluster.
func (f *serverFlags) registerCluster(fs *pflag.FlagSet) {
	fs.IntVar(&f.replicas, "replicas", 0, fmt.Sprintf(
		"replicas of every stream, bucket and object store Ferry creates; 0 (auto): %d on a cluster that can place them, else 1",
		natsjs.ClusterReplicas))
	fs.StringVar(&f.nodeName, "node-name", "", "this server's name in a cluster (metrics, schedule lease); default the host name and a random suffix kept in the data dir")
}

// checkReplicas refuses a replica count JetStream does not support.
func checkReplicas(n int) error {
	if n < 0 || n > 5 {
		return ferry.Errorf(ferry.EINVALID, "--replicas must be between 0 (auto) and 5, got %d", n)
	}
	return nil
}

// clusterBanner says which JetStream the server runs on and with how many
// replicas its stores are kept.
func clusterBanner(m *Main) string { return m.Engine.Cluster().String() }
