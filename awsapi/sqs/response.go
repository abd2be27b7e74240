package sqsapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"sort"

	"github.com/ferry-run/ferry"
)

// xmlNS is the namespace of every query protocol response.
const xmlNS = "http://queue.amazonaws.com/doc/2012-11-05/"

// Header names.
const (
	hdrRequestID  = "X-Amzn-Requestid" // canonical form of x-amzn-RequestId
	hdrQueryError = "X-Amzn-Query-Error"
	hdrTarget     = "X-Amz-Target"
	jsonType      = "application/x-amz-json-1.0"
)

// Operation results. Each type carries both wires' names: JSON members and
// the query protocol's flattened XML elements, in the order SQS writes them.

type queueURLResult struct {
	QueueURL string `json:"QueueUrl" xml:"QueueUrl"`
}

type listQueuesResult struct {
	QueueURLs []string `json:"QueueUrls,omitempty" xml:"QueueUrl"`
	NextToken string   `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

type attributesResult struct {
	Attributes attrMap `json:"Attributes,omitempty" xml:"Attribute,omitempty"`
}

type sendResult struct {
	MD5OfMessageBody             string `json:"MD5OfMessageBody" xml:"MD5OfMessageBody"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty" xml:"MD5OfMessageAttributes,omitempty"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty" xml:"MD5OfMessageSystemAttributes,omitempty"`
	MessageID                    string `json:"MessageId" xml:"MessageId"`
	SequenceNumber               string `json:"SequenceNumber,omitempty" xml:"SequenceNumber,omitempty"`
}

type sendBatchEntry struct {
	ID string `json:"Id" xml:"Id"`
	sendResult
}

type batchError struct {
	ID          string `json:"Id" xml:"Id"`
	SenderFault bool   `json:"SenderFault" xml:"SenderFault"`
	Code        string `json:"Code" xml:"Code"`
	Message     string `json:"Message,omitempty" xml:"Message,omitempty"`
}

type sendBatchResult struct {
	Successful []sendBatchEntry `json:"Successful" xml:"SendMessageBatchResultEntry"`
	Failed     []batchError     `json:"Failed" xml:"BatchResultErrorEntry"`
}

type idEntry struct {
	ID string `json:"Id" xml:"Id"`
}

type deleteBatchResult struct {
	Successful []idEntry    `json:"Successful" xml:"DeleteMessageBatchResultEntry"`
	Failed     []batchError `json:"Failed" xml:"BatchResultErrorEntry"`
}

type changeBatchResult struct {
	Successful []idEntry    `json:"Successful" xml:"ChangeMessageVisibilityBatchResultEntry"`
	Failed     []batchError `json:"Failed" xml:"BatchResultErrorEntry"`
}

type message struct {
	MessageID              string     `json:"MessageId" xml:"MessageId"`
	ReceiptHandle          string     `json:"ReceiptHandle" xml:"ReceiptHandle"`
	MD5OfBody              string     `json:"MD5OfBody" xml:"MD5OfBody"`
	Body                   string     `json:"Body" xml:"Body"`
	Attributes             attrMap    `json:"Attributes,omitempty" xml:"Attribute,omitempty"`
	MD5OfMessageAttributes string     `json:"MD5OfMessageAttributes,omitempty" xml:"MD5OfMessageAttributes,omitempty"`
	MessageAttributes      msgAttrMap `json:"MessageAttributes,omitempty" xml:"MessageAttribute,omitempty"`
}

type receiveResult struct {
	Messages []message `json:"Messages,omitempty" xml:"Message"`
}

type deadLetterSourcesResult struct {
	QueueURLs []string `json:"queueUrls" xml:"QueueUrl"`
	NextToken string   `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

type startMoveResult struct {
	TaskHandle string `json:"TaskHandle" xml:"TaskHandle"`
}

type moveTaskEntry struct {
	TaskHandle                        string `json:"TaskHandle,omitempty" xml:"TaskHandle,omitempty"`
	Status                            string `json:"Status" xml:"Status"`
	SourceARN                         string `json:"SourceArn" xml:"SourceArn"`
	DestinationARN                    string `json:"DestinationArn,omitempty" xml:"DestinationArn,omitempty"`
	ApproximateNumberOfMessagesMoved  int64  `json:"ApproximateNumberOfMessagesMoved" xml:"ApproximateNumberOfMessagesMoved"`
	ApproximateNumberOfMessagesToMove int64  `json:"ApproximateNumberOfMessagesToMove" xml:"ApproximateNumberOfMessagesToMove"`
	FailureReason                     string `json:"FailureReason,omitempty" xml:"FailureReason,omitempty"`
	StartedTimestamp                  int64  `json:"StartedTimestamp" xml:"StartedTimestamp"`
}

type listMoveTasksResult struct {
	Results []moveTaskEntry `json:"Results,omitempty" xml:"ListMessageMoveTasksResultEntry"`
}

type tagsResult struct {
	Tags tagMap `json:"Tags,omitempty" xml:"Tag,omitempty"`
}

// attrMap is a string map; in XML each pair is <X><Name/><Value/></X>.
type attrMap map[string]string

func (m attrMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return marshalPairs(e, start, m, "Name")
}

// tagMap is a string map; in XML each pair is <X><Key/><Value/></X>.
type tagMap map[string]string

func (m tagMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return marshalPairs(e, start, m, "Key")
}

func marshalPairs(e *xml.Encoder, start xml.StartElement, m map[string]string, key string) error {
	for _, k := range sortedKeys(m) {
		s := xml.StartElement{Name: start.Name}
		if err := e.EncodeToken(s); err != nil {
			return err
		}
		if err := e.EncodeElement(k, xml.StartElement{Name: xml.Name{Local: key}}); err != nil {
			return err
		}
		if err := e.EncodeElement(m[k], xml.StartElement{Name: xml.Name{Local: "Value"}}); err != nil {
			return err
		}
		if err := e.EncodeToken(s.End()); err != nil {
			return err
		}
	}
	return nil
}

// msgAttr is a message attribute value in a response.
type msgAttr struct {
	StringValue string `json:"StringValue,omitempty"`
	BinaryValue []byte `json:"BinaryValue,omitempty"`
	DataType    string `json:"DataType"`
}

// msgAttrMap is the MessageAttributes of a received message.
type msgAttrMap map[string]msgAttr

func (m msgAttrMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	type value struct {
		StringValue string `xml:"StringValue,omitempty"`
		BinaryValue string `xml:"BinaryValue,omitempty"`
		DataType    string `xml:"DataType"`
	}
	type pair struct {
		Name  string `xml:"Name"`
		Value value  `xml:"Value"`
	}
	for _, k := range sortedKeys(m) {
		a := m[k]
		v := value{StringValue: a.StringValue, DataType: a.DataType}
		if a.BinaryValue != nil {
			v.BinaryValue = base64.StdEncoding.EncodeToString(a.BinaryValue)
		}
		if err := e.EncodeElement(pair{k, v}, xml.StartElement{Name: start.Name}); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// writeJSON writes a JSON 1.0 result; a nil result is an empty object.
func writeJSON(w http.ResponseWriter, result any) {
	b := []byte("{}")
	if result != nil {
		var err error
		if b, err = json.Marshal(result); err != nil {
			writeJSONError(w, errInternal, "encode response: "+err.Error())
			return
		}
	}
	w.Header().Set("Content-Type", jsonType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writeJSONError writes an error in the JSON 1.0 form, with the query
// protocol code in x-amzn-query-error for query-compatible clients.
func writeJSONError(w http.ResponseWriter, e awsError, msg string) {
	h := w.Header()
	h.Set("Content-Type", jsonType)
	h.Set(hdrQueryError, e.code+";"+e.fault())
	w.WriteHeader(e.status)
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.shape, ferry.CapMessage(msg)})
	_, _ = w.Write(b)
}

// writeXML writes a query protocol result:
// <OpResponse><OpResult>...</OpResult><ResponseMetadata/></OpResponse>.
func writeXML(w http.ResponseWriter, op, requestID string, result any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	root := xml.StartElement{Name: xml.Name{Local: op + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlNS}}}
	err := enc.EncodeToken(root)
	if err == nil && result != nil {
		err = enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: op + "Result"}})
	}
	if err == nil {
		err = enc.EncodeElement(struct {
			RequestID string `xml:"RequestId"`
		}{requestID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	}
	if err == nil {
		err = enc.EncodeToken(xml.EndElement{Name: root.Name})
	}
	if err == nil {
		err = enc.Flush()
	}
	if err != nil {
		writeXMLError(w, errInternal, "encode response: "+err.Error(), requestID)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// writeXMLError writes a query protocol ErrorResponse.
func writeXMLError(w http.ResponseWriter, e awsError, msg, requestID string) {
	type errorDetail struct {
		Type    string   `xml:"Type"`
		Code    string   `xml:"Code"`
		Message string   `xml:"Message"`
		Detail  struct{} `xml:"Detail"`
	}
	body := struct {
		XMLName   xml.Name    `xml:"ErrorResponse"`
		NS        string      `xml:"xmlns,attr"`
		Error     errorDetail `xml:"Error"`
		RequestID string      `xml:"RequestId"`
	}{NS: xmlNS, Error: errorDetail{Type: e.fault(), Code: e.code, Message: ferry.CapMessage(msg)}, RequestID: requestID}
	b, _ := xml.Marshal(body)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
}
