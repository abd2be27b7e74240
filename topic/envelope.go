package topic

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
)

// attrValue is a message attribute as SNS renders it in envelopes and events.
type attrValue struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// envelope is the SNS JSON notification sent to queues and HTTP endpoints.
type envelope struct {
	Type              string               `json:"Type"`
	MessageID         string               `json:"MessageId"`
	TopicArn          string               `json:"TopicArn"`
	Subject           string               `json:"Subject,omitempty"`
	Message           string               `json:"Message"`
	Timestamp         string               `json:"Timestamp"`
	SignatureVersion  string               `json:"SignatureVersion"`
	Signature         string               `json:"Signature"`
	SigningCertURL    string               `json:"SigningCertURL"`
	UnsubscribeURL    string               `json:"UnsubscribeURL"`
	MessageAttributes map[string]attrValue `json:"MessageAttributes,omitempty"`
	SequenceNumber    string               `json:"SequenceNumber,omitempty"` // FIFO topics
}

// snsEvent is the Lambda event for a topic subscription.
type snsEvent struct {
	Records []snsRecord `json:"Records"`
}

type snsRecord struct {
	EventSource          string    `json:"EventSource"`
	EventVersion         string    `json:"EventVersion"`
	EventSubscriptionArn string    `json:"EventSubscriptionArn"`
	Sns                  snsEntity `json:"Sns"`
}

type snsEntity struct {
	Type              string               `json:"Type"`
	MessageID         string               `json:"MessageId"`
	TopicArn          string               `json:"TopicArn"`
	Subject           *string              `json:"Subject"`
	Message           string               `json:"Message"`
	Timestamp         string               `json:"Timestamp"`
	SignatureVersion  string               `json:"SignatureVersion"`
	Signature         string               `json:"Signature"`
	SigningCertURL    string               `json:"SigningCertUrl"`
	UnsubscribeURL    string               `json:"UnsubscribeUrl"`
	MessageAttributes map[string]attrValue `json:"MessageAttributes"`
}

// signed is what every rendering of a notification shares.
type signed struct {
	version, signature, certURL, unsubURL string
}

func (s *Service) signedParts(m *stored, c *subConfig) (signed, error) {
	version := "1"
	if t, err := s.topic(m.Topic); err == nil && t.rec.Attributes[AttrSignatureVersion] == "2" {
		version = "2"
	}
	sig, err := s.signer.sign(m, c.topicArn, version)
	if err != nil {
		return signed{}, err
	}
	return signed{
		version:   version,
		signature: sig,
		certURL:   s.public + CertificatePath,
		unsubURL:  s.public + "/?Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(c.arn),
	}, nil
}

func renderAttrs(m *stored) map[string]attrValue {
	out := make(map[string]attrValue, len(m.Attributes))
	for k, a := range m.Attributes {
		v := a.StringValue
		if len(a.BinaryValue) > 0 {
			v = base64.StdEncoding.EncodeToString(a.BinaryValue)
		}
		out[k] = attrValue{Type: a.DataType, Value: v}
	}
	return out
}

// marshal encodes v as AWS does: no HTML escaping, no trailing newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// envelopeJSON renders m for queue and HTTP deliveries.
func (s *Service) envelopeJSON(m *stored, c *subConfig) ([]byte, error) {
	sp, err := s.signedParts(m, c)
	if err != nil {
		return nil, err
	}
	e := envelope{
		Type: "Notification", MessageID: m.MessageID, TopicArn: c.topicArn, Subject: m.Subject,
		Message: m.Message, Timestamp: snsTime(m.Timestamp),
		SignatureVersion: sp.version, Signature: sp.signature, SigningCertURL: sp.certURL, UnsubscribeURL: sp.unsubURL,
		SequenceNumber: m.Sequence,
	}
	if len(m.Attributes) > 0 {
		e.MessageAttributes = renderAttrs(m)
	}
	return marshal(e)
}

// eventJSON renders m as the Lambda event of a function subscription.
func (s *Service) eventJSON(m *stored, c *subConfig) ([]byte, error) {
	sp, err := s.signedParts(m, c)
	if err != nil {
		return nil, err
	}
	ent := snsEntity{
		Type: "Notification", MessageID: m.MessageID, TopicArn: c.topicArn,
		Message: m.Message, Timestamp: snsTime(m.Timestamp),
		SignatureVersion: sp.version, Signature: sp.signature, SigningCertURL: sp.certURL, UnsubscribeURL: sp.unsubURL,
		MessageAttributes: renderAttrs(m),
	}
	if m.Subject != "" {
		subj := m.Subject
		ent.Subject = &subj
	}
	return marshal(snsEvent{Records: []snsRecord{{
		EventSource: "aws:sns", EventVersion: "1.0", EventSubscriptionArn: c.arn, Sns: ent,
	}}})
}
