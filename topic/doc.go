// Package topic owns Ferry's SNS-like topics: topics and subscriptions kept
// in a JetStream key-value bucket, published messages kept in a JetStream
// stream, and the durable fan-out of every message to each subscription
// (function, queue, HTTP/HTTPS endpoint).
//
// # Storage
//
// Topics and subscriptions are records in the key-value bucket
// [Bucket] (keys "topic.<name>" and "sub.<id>"); every node loads them on
// Start and follows changes with a watch, so topics and subscriptions survive
// a restart and are shared by the nodes of a cluster. The key pair Ferry signs
// notifications with lives in the same bucket.
//
// Publish stores the message in the stream [Stream] (subject
// "ferry.topic.<name>") before it returns. A [ferry.Notification] DedupID
// becomes the Nats-Msg-Id header and the message id is derived from it, so a
// repeated publish inside the stream's five-minute deduplication window returns
// the same message id and stores nothing.
//
// # Fan-out
//
// Each subscription owns a durable JetStream consumer on its topic's subject,
// created when the subscription is (deliver-new: a subscription receives the
// messages published after it exists). The stream uses interest retention, so
// a message is kept until every subscription's consumer has acknowledged it.
// A delivery is acknowledged only after its target accepted it (the queue or
// the function's async queue stored it, the HTTP endpoint answered 2xx), so a
// crash or restart redelivers, never loses: delivery is at-least-once (a
// delivery in flight at a crash is redelivered when its 60 s ack wait ends). The
// redelivered copy is deduplicated downstream: queue deliveries carry the
// DedupID "<messageId>:<subscriptionId>" and function deliveries the request
// id derived (UUID v5) from the same pair.
//
// Retries follow AWS's delivery policies. Function and queue subscriptions
// use the AWS-managed policy (3 immediate retries, 2 one second apart, 10 with
// exponential backoff from 1 s to 20 s, then every 20 s, 100,015 attempts);
// HTTP/HTTPS subscriptions use the subscription's DeliveryPolicy, else the
// topic's, else AWS's HTTP default (3 retries 20 s apart, linear). A retry is
// a NakWithDelay of the consumer message; Options.RetryBase is the length of
// one policy second (1 s; tests shrink it). Client-side failures (an unknown
// queue or function, an oversized message, an HTTP 4xx other than 429) are not
// retried. A delivery that is given up is dropped and counted
// ([Service.DeliveryStats]); subscription dead-letter queues (RedrivePolicy)
// are not supported and are refused by name.
//
// # Deliveries
//
// Function subscriptions are async invokes whose payload is the SNS event
// {"Records":[{"EventSource":"aws:sns",...,"Sns":{...}}]}; the trace id is
// carried and the hop count incremented. Queue subscriptions send the SNS JSON
// envelope as the body, or with RawMessageDelivery the message itself with the
// message attributes copied as queue message attributes (String.Array is sent
// as String); the hop count is carried unchanged (the queue's trigger counts
// the next hop). HTTP/HTTPS subscriptions receive a POST of the envelope (or
// the raw message) with the x-amz-sns-* headers.
//
// HTTP/HTTPS subscriptions are confirmed automatically: Ferry sends no
// SubscriptionConfirmation message and a new subscription is active at once
// (PendingConfirmation is "false").
//
// Notifications are signed as SNS signs them (SignatureVersion 1: SHA1withRSA,
// 2: SHA256withRSA, per the topic's SignatureVersion attribute) with a
// self-signed certificate generated once per data dir; SigningCertURL is
// Options.PublicURL + [CertificatePath] and the API layer serves
// [Service.SigningCertificate] there. The signature is computed once per
// message and signature version and cached.
//
// FIFO topics (name ending in .fifo, FifoTopic=true) require a message
// group and a deduplication id, deliver only to SQS FIFO queues, one
// message at a time per subscription in publish order; how they map onto
// JetStream is described in fifo.go.
//
// Filter policies are compiled by package pattern, in the MessageAttributes
// (default) or MessageBody scope; a message that does not match is
// acknowledged without delivery.
package topic
