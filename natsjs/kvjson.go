package natsjs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// GetJSON reads the value of key in kv into v. A missing key returns the
// store's not-found error (IsNotFound reports it); a value that is not
// JSON of v's shape names the key.
func GetJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) error {
	e, err := kv.Get(ctx, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}
