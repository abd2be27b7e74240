package ferry

import "encoding/json"

// PolicyDocument is a resource policy as AddPermission and RemovePermission
// edit it (Lambda, SQS, SNS): its statements are kept exactly as stored.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	ID        string            `json:"Id"`
	Statement []json.RawMessage `json:"Statement"`
}

// ParsePolicy decodes a stored policy; an empty one is start, the document
// a resource without a policy begins with. It also returns each
// statement's Sid, in order ("" for a statement without one). The error is
// the JSON decoder's; callers say whose policy it is.
func ParsePolicy(stored string, start PolicyDocument) (PolicyDocument, []string, error) {
	doc := start
	if stored == "" {
		return doc, nil, nil
	}
	if err := json.Unmarshal([]byte(stored), &doc); err != nil {
		return doc, nil, err
	}
	sids := make([]string, len(doc.Statement))
	for i, st := range doc.Statement {
		var s struct{ Sid string }
		_ = json.Unmarshal(st, &s)
		sids[i] = s.Sid
	}
	return doc, sids, nil
}
