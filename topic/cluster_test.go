package topic

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
)

// A second service on the same engine stands for a second node: it learns
// topics and subscriptions through the bucket watch and shares the work.
func TestSecondNodeSeesChanges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q2 := &recQueue{}
	node2 := New(b.e, Options{Targets: Targets{Queues: q2}, RetryBase: time.Millisecond})
	if err := node2.Start(b.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node2.Stop(context.Background()) })

	b.topic(t, "shared", nil)
	sub := b.subscribe(t, "shared", ProtocolSQS, ferry.DefaultRealm.QueueARN("q"), nil)
	waitFor(t, "node 2 to see the subscription", func() bool {
		subs, err := node2.ListSubscriptionsByTopic(b.ctx, "shared")
		return err == nil && len(subs) == 1 && subs[0].SubscriptionArn == sub
	})
	for range 20 {
		if _, err := node2.Publish(b.ctx, "shared", ferry.Notification{Message: "m"}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "20 deliveries across both nodes", func() bool { return b.q.count()+q2.count() == 20 })

	if err := b.svc.Unsubscribe(b.ctx, sub); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "node 2 to drop the subscription", func() bool {
		_, err := node2.GetSubscriptionAttributes(b.ctx, sub)
		return ferry.ErrorCode(err) == ferry.ENOTFOUND
	})
	if _, err := b.e.JetStream().Consumer(b.ctx, Stream, consumerName(sub[len(ferry.DefaultRealm.TopicARN("shared"))+1:])); !isNotFound(err) {
		t.Errorf("consumer after unsubscribe: %v, want not found", err)
	}
}

func TestTopicDeliveryPolicyAndSignatureVersion2(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.topic(t, "t", map[string]string{
		AttrSignatureVersion: "2",
		AttrDeliveryPolicy:   `{"http":{"defaultHealthyRetryPolicy":{"numRetries":1,"minDelayTarget":1,"maxDelayTarget":1},"disableSubscriptionOverrides":true}}`,
	})
	rec, url := newEndpoint(t, 500, 500, 500, 500)
	// The subscription asks for 3 retries, but the topic disables overrides.
	sub := b.subscribe(t, "t", ProtocolHTTP, url, map[string]string{
		AttrDeliveryPolicy: `{"healthyRetryPolicy":{"numRetries":3,"minDelayTarget":1,"maxDelayTarget":1}}`,
	})
	b.publish(t, "t", ferry.Notification{Message: "m"})
	waitFor(t, "give up", func() bool { return stats(t, b.svc, sub).Failed == 1 })
	hits := rec.all()
	if len(hits) != 2 {
		t.Fatalf("POSTs = %d, want 2 (topic policy: 1 retry)", len(hits))
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(hits[0].body), &env); err != nil {
		t.Fatal(err)
	}
	if env["SignatureVersion"] != "2" {
		t.Fatalf("SignatureVersion = %q, want 2", env["SignatureVersion"])
	}
	blk, _ := pem.Decode(b.svc.SigningCertificate())
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	toSign := "Message\n" + env["Message"] + "\nMessageId\n" + env["MessageId"] + "\nTimestamp\n" + env["Timestamp"] +
		"\nTopicArn\n" + env["TopicArn"] + "\nType\nNotification\n"
	sig, _ := base64.StdEncoding.DecodeString(env["Signature"])
	h := sha256.Sum256([]byte(toSign))
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, h[:], sig); err != nil {
		t.Errorf("SHA256 signature does not verify: %v", err)
	}
}

func TestThrottlePolicySpacesDeliveries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.topic(t, "t", nil)
	rec, url := newEndpoint(t)
	sub := b.subscribe(t, "t", ProtocolHTTP, url, map[string]string{
		AttrDeliveryPolicy: `{"throttlePolicy":{"maxReceivesPerSecond":20}}`,
	})
	start := time.Now()
	for range 5 {
		b.publish(t, "t", ferry.Notification{Message: "m"})
	}
	waitFor(t, "deliveries", func() bool { return stats(t, b.svc, sub).Delivered == 5 })
	// 5 deliveries at 20/s with a burst of 1: at least 4 gaps of 50 ms.
	if el := time.Since(start); el < 190*time.Millisecond {
		t.Errorf("5 throttled deliveries took %s, want >= 200ms", el)
	}
	if got := len(rec.all()); got != 5 {
		t.Errorf("POSTs = %d, want 5", got)
	}
}
