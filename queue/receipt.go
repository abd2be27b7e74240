package queue

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-run/ferry"
)

// A receipt handle is base64url(ack reply subject) "." base64url(HMAC of
// queue name, subject and dedup id) and, for a message sent with a DedupID,
// "." base64url(its message id), whose dedup marker a delete sets.
// Acknowledging through the subject deletes the message; a NAK with delay
// changes its visibility.

func (s *Service) sign(queue, reply, dedupID string) string {
	out := base64.RawURLEncoding.EncodeToString([]byte(reply)) + "." + base64.RawURLEncoding.EncodeToString(s.mac(queue, reply, dedupID))
	if dedupID != "" {
		out += "." + base64.RawURLEncoding.EncodeToString([]byte(dedupID))
	}
	return out
}

func (s *Service) mac(queue, reply, dedupID string) []byte {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte(queue))
	h.Write([]byte{0})
	h.Write([]byte(reply))
	if dedupID != "" {
		h.Write([]byte{0})
		h.Write([]byte(dedupID))
	}
	return h.Sum(nil)[:16]
}

// handle is a verified receipt handle.
type handle struct {
	reply   string
	seq     uint64 // stream sequence
	dedupID string // message id of a deduplicated message, else ""
}

func (s *Service) verify(queue, receipt string) (handle, error) {
	bad := ferry.Errorf(ferry.ERECEIPT, "the receipt handle %q is not valid for queue %q", abbreviate(receipt), queue)
	a, b, ok := strings.Cut(receipt, ".")
	if !ok {
		return handle{}, bad
	}
	b, c, _ := strings.Cut(b, ".")
	reply, err1 := base64.RawURLEncoding.DecodeString(a)
	sig, err2 := base64.RawURLEncoding.DecodeString(b)
	dedupID, err3 := base64.RawURLEncoding.DecodeString(c)
	if err1 != nil || err2 != nil || err3 != nil || !hmac.Equal(sig, s.mac(queue, string(reply), string(dedupID))) {
		return handle{}, bad
	}
	// $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending> or
	// $JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>...
	t := strings.Split(string(reply), ".")
	off := 2
	if len(t) >= 11 {
		off = 4
	}
	if len(t) < 9 || t[0] != "$JS" || t[1] != "ACK" || t[off] != streamName(queue) {
		return handle{}, bad
	}
	seq, err := strconv.ParseUint(t[off+3], 10, 64)
	if err != nil {
		return handle{}, bad
	}
	return handle{reply: string(reply), seq: seq, dedupID: string(dedupID)}, nil
}

func abbreviate(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}

// DeleteMessage deletes the message a receipt handle names. As in SQS, an
// older handle of a message received again still deletes it, and deleting
// an already deleted message succeeds. Errors: ENOTFOUND, ERECEIPT.
func (s *Service) DeleteMessage(ctx context.Context, queue, receiptHandle string) error {
	queue = queueName(queue)
	if _, err := s.lookup(queue); err != nil {
		return err
	}
	if IsFIFO(queue) {
		return s.deleteFifo(ctx, queue, receiptHandle)
	}
	h, err := s.verify(queue, receiptHandle)
	if err != nil {
		return err
	}
	if h.dedupID != "" {
		// Before the message goes: a resend of it must find it was delivered.
		if err := s.mark(ctx, h.dedupID, markDeleted); err != nil {
			return fmt.Errorf("delete message from queue %q: %w", queue, err)
		}
	}
	if err := s.request(ctx, h.reply, []byte("+ACK")); err != nil {
		return fmt.Errorf("delete message from queue %q: %w", queue, err)
	}
	s.forgetReceives(ctx, queue, h.seq)
	return nil
}

// ChangeMessageVisibility makes a received message visible again after
// timeout (0-43200 s) from now. Errors: ENOTFOUND, EINVALID, ERECEIPT (bad
// handle, or the message was deleted).
func (s *Service) ChangeMessageVisibility(ctx context.Context, queue, receiptHandle string, timeout time.Duration) error {
	queue = queueName(queue)
	if _, err := s.lookup(queue); err != nil {
		return err
	}
	if timeout < 0 || timeout > MaxVisibility {
		return ferry.Errorf(ferry.EINVALID, "VisibilityTimeout must be from 0 to 43200, got %v", timeout.Seconds())
	}
	if IsFIFO(queue) {
		return s.changeVisibilityFifo(ctx, queue, receiptHandle, timeout)
	}
	h, err := s.verify(queue, receiptHandle)
	if err != nil {
		return err
	}
	st, err := s.js.Stream(ctx, streamName(queue))
	if err != nil {
		return fmt.Errorf("queue %q: %w", queue, err)
	}
	if _, err := st.GetMsg(ctx, h.seq); err != nil {
		return ferry.Errorf(ferry.ERECEIPT, "the message of receipt handle %q does not exist or is not in flight", abbreviate(receiptHandle))
	}
	nak := []byte("-NAK")
	if timeout > 0 {
		d, _ := json.Marshal(map[string]int64{"delay": int64(timeout)})
		nak = append(append(nak, ' '), d...)
	}
	if err := s.request(ctx, h.reply, nak); err != nil {
		return fmt.Errorf("change visibility in queue %q: %w", queue, err)
	}
	return nil
}

// HandleEntry is one entry of DeleteMessageBatch or ChangeMessageVisibilityBatch.
type HandleEntry struct {
	ID            string
	ReceiptHandle string
	Visibility    time.Duration // ChangeMessageVisibilityBatch only
}

// DeleteMessageBatch deletes up to 10 messages, each entry on its own.
// Errors for the whole call: ENOTFOUND, EINVALID (empty, too many, ids).
func (s *Service) DeleteMessageBatch(ctx context.Context, queue string, entries []HandleEntry) ([]EntryResult, error) {
	return s.handleBatch(ctx, queue, entries, func(e HandleEntry) error {
		return s.DeleteMessage(ctx, queue, e.ReceiptHandle)
	})
}

// ChangeMessageVisibilityBatch changes the visibility of up to 10 messages,
// each entry on its own.
func (s *Service) ChangeMessageVisibilityBatch(ctx context.Context, queue string, entries []HandleEntry) ([]EntryResult, error) {
	return s.handleBatch(ctx, queue, entries, func(e HandleEntry) error {
		return s.ChangeMessageVisibility(ctx, queue, e.ReceiptHandle, e.Visibility)
	})
}

func (s *Service) handleBatch(ctx context.Context, queue string, entries []HandleEntry, do func(HandleEntry) error) ([]EntryResult, error) {
	if _, err := s.lookup(queueName(queue)); err != nil {
		return nil, err
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	if err := checkBatchIDs(ids); err != nil {
		return nil, err
	}
	out := make([]EntryResult, len(entries))
	for i, e := range entries {
		out[i] = EntryResult{ID: e.ID, Err: do(e)}
	}
	return out, nil
}

// request sends an ack-protocol message and waits for the server's answer.
func (s *Service) request(ctx context.Context, subject string, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	_, err := s.engine.Conn().RequestWithContext(ctx, subject, data)
	return err
}
