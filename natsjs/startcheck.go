package natsjs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startCheckTimeout bounds each check of an external cluster at start.
const startCheckTimeout = 10 * time.Second

// connectError says why connecting to an external NATS failed, naming
// refused credentials as such.
func connectError(url string, err error) error {
	if errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) || errors.Is(err, nats.ErrAuthRevoked) {
		return fmt.Errorf("NATS at %s refused Ferry's credentials (wrong user, password or credentials file; see --nats-creds): %w", url, err)
	}
	return fmt.Errorf("connect to NATS at %s: %w", url, err)
}

// checkExternal refuses an external NATS whose account Ferry cannot use:
// no JetStream on the servers, or none for the credentials' account.
func (e *Engine) checkExternal(ctx context.Context) error {
	js, err := jetstream.New(e.nc) // unguarded: nothing is stored yet
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, startCheckTimeout)
	defer cancel()
	_, err = js.AccountInfo(ctx)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount):
		return fmt.Errorf("NATS at %s: the account of Ferry's credentials has no JetStream (wrong account? enable JetStream for it, or use credentials of an account that has it): %w", e.cfg.URL, err)
	case errors.Is(err, jetstream.ErrJetStreamNotEnabled):
		return fmt.Errorf("NATS at %s runs without JetStream: turn it on in the servers (nats-server -js, or a jetstream {} block): %w", e.cfg.URL, err)
	default:
		return fmt.Errorf("NATS at %s: JetStream does not answer (no quorum?): %w", e.cfg.URL, err)
	}
}

// checkReplicas refuses a configured replica count the external cluster
// cannot place: more than 1 on a single server, or more than the cluster's
// JetStream servers (probed with a memory stream of that many replicas).
func (e *Engine) checkReplicas(ctx context.Context, n int) error {
	if n <= 1 {
		return nil
	}
	if e.nc.ConnectedClusterName() == "" {
		return fmt.Errorf("--replicas %d: NATS at %s is a single server, which holds 1 replica; run a JetStream cluster of at least %d servers or use --replicas 1", n, e.cfg.URL, n)
	}
	js, err := jetstream.New(e.nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, startCheckTimeout)
	defer cancel()
	if err := probeReplicas(ctx, js, n); err != nil {
		return fmt.Errorf("--replicas %d: the JetStream cluster %s cannot hold %d replicas (it needs at least %d JetStream servers up): %w",
			n, e.nc.ConnectedClusterName(), n, n, err)
	}
	return nil
}

// probeReplicas creates and deletes a memory stream of n replicas.
func probeReplicas(ctx context.Context, js jetstream.JetStream, n int) error {
	name := "FERRY_REPLICAS_PROBE_" + nats.NewInbox()[len(nats.InboxPrefix):]
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: name, Subjects: []string{"$FERRY.probe." + name}, Storage: jetstream.MemoryStorage,
		Replicas: n, MaxMsgs: 1,
	}); err != nil {
		return err
	}
	if err := js.DeleteStream(ctx, name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("delete the replicas probe stream %s: %w", name, err)
	}
	return nil
}
