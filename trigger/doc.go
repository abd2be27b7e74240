// Package trigger owns queue event source mappings: a queue feeding a
// function synchronously in batches, as AWS Lambda's SQS event source
// mapping does.
//
// Mappings are stored in the JetStream key-value bucket ferry_triggers
// (key = mapping UUID) and watched, so they survive a restart and every node
// sees the same set. For each enabled mapping the Service runs pollers: a
// poller long-polls the queue, gathers up to BatchSize messages or until
// MaximumBatchingWindow has passed since the first message of the batch
// (with no window, one receive is one batch), and invokes the function
// synchronously with the SQS event ({"Records":[...]}). Afterwards:
//
//   - success: every message of the batch is deleted;
//   - function error: nothing is deleted; the messages come back after the
//     queue's visibility timeout, and the queue's redrive policy moves them
//     to its dead-letter queue after maxReceiveCount receives;
//   - with ReportBatchItemFailures, the response
//     {"batchItemFailures":[{"itemIdentifier":"<messageId>"}]} lists the
//     failed messages; all others are deleted. An empty or null list (or a
//     null or empty response) means all succeeded; an invalid response (not
//     a JSON object, an empty or unknown itemIdentifier) fails the whole
//     batch, as on AWS;
//   - the invoker answers ETHROTTLED: nothing is deleted, the poller backs
//     off and the mapping scales down.
//
// The invoke request carries the first message's trace id (also given to
// the function as the AWSTraceHeader attribute) and the largest hop count
// of the batch. Batches whose event would exceed the 6 MiB synchronous
// payload limit are split in halves.
//
// Scaling rule (per mapping, per node): a mapping starts with one poller.
// Each time a poller invokes a full batch (BatchSize records) and the
// mapping runs fewer pollers than its cap, one more poller starts. A poller
// whose long poll returns nothing, or whose invoke is throttled, stops if
// it is not the last one. The cap is MaximumConcurrency when set, else
// Options.MaxPollers (default 5), and never more than the function's
// reserved concurrency when it has one. Each poller has at most one
// invocation in flight, so the cap bounds the mapping's concurrency.
//
// Stop stops receiving at once, lets batches already received be invoked
// and settled until its context ends, then cancels what is left (those
// messages reappear after their visibility timeout). A long poll cut short
// by Stop or by disabling a mapping may still claim one message at the
// server until the poll would have expired; that message, too, reappears
// after its visibility timeout.
package trigger
