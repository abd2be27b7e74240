package lambdaapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
)

// A function's resource policy lives in the API's ResourceMeta under the
// unqualified function ARN: AddPermission adds a statement, RemovePermission
// removes one and GetPolicy returns the document. Policies are accepted,
// not enforced: Ferry has no IAM.

type addPermissionInput struct {
	StatementId         string `json:"StatementId"`
	Action              string `json:"Action"`
	Principal           string `json:"Principal"`
	SourceArn           string `json:"SourceArn"`
	SourceAccount       string `json:"SourceAccount"`
	PrincipalOrgID      string `json:"PrincipalOrgID"`
	EventSourceToken    string `json:"EventSourceToken"`
	FunctionUrlAuthType string `json:"FunctionUrlAuthType"`
}

// policyDoc reads the function's stored policy and its statements' Sids.
func (a *API) policyDoc(r *http.Request, arn string) (ferry.PolicyDocument, []string, error) {
	cur, err := a.meta.Policy(r.Context(), arn)
	if err != nil {
		return ferry.PolicyDocument{}, nil, err
	}
	doc, sids, err := ferry.ParsePolicy(cur, ferry.PolicyDocument{Version: "2012-10-17", ID: "default"})
	if err != nil {
		return doc, nil, ferry.Wrap(ferry.EINTERNAL, err, "stored policy of %s", arn)
	}
	return doc, sids, nil
}

// addPermission serves AddPermission: the statement is stored in the
// function's policy and returned.
func (a *API) addPermission(w http.ResponseWriter, r *http.Request) {
	fn, err := a.lookup(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	var in addPermissionInput
	if err := readJSON(r, "AddPermission", &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	for _, f := range []struct{ name, v string }{{"statementId", in.StatementId}, {"action", in.Action}, {"principal", in.Principal}} {
		if f.v == "" {
			a.writeError(w, r, ferry.Errorf(eValidation, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", f.name))
			return
		}
	}
	arn := a.realm.FunctionARN(fn.Name)
	principal := any(map[string]string{"Service": in.Principal})
	switch {
	case in.Principal == "*":
		principal = "*"
	case !strings.Contains(in.Principal, "."):
		principal = map[string]string{"AWS": in.Principal}
	}
	stmt := map[string]any{"Sid": in.StatementId, "Effect": "Allow", "Principal": principal, "Action": in.Action, "Resource": arn}
	cond := map[string]any{}
	if in.SourceArn != "" {
		cond["ArnLike"] = map[string]string{"AWS:SourceArn": in.SourceArn}
	}
	eq := map[string]string{}
	if in.SourceAccount != "" {
		eq["AWS:SourceAccount"] = in.SourceAccount
	}
	if in.PrincipalOrgID != "" {
		eq["aws:PrincipalOrgID"] = in.PrincipalOrgID
	}
	if in.EventSourceToken != "" {
		eq["lambda:EventSourceToken"] = in.EventSourceToken
	}
	if in.FunctionUrlAuthType != "" {
		eq["lambda:FunctionUrlAuthType"] = in.FunctionUrlAuthType
	}
	if len(eq) > 0 {
		cond["StringEquals"] = eq
	}
	if len(cond) > 0 {
		stmt["Condition"] = cond
	}
	b, _ := json.Marshal(stmt)
	a.policyMu.Lock()
	defer a.policyMu.Unlock()
	doc, sids, err := a.policyDoc(r, arn)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if slices.Contains(sids, in.StatementId) {
		a.writeError(w, r, ferry.Errorf(ferry.ECONFLICT, "The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", in.StatementId))
		return
	}
	doc.Statement = append(doc.Statement, b)
	out, _ := json.Marshal(doc)
	if err := a.meta.SetPolicy(r.Context(), arn, string(out)); err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, struct {
		Statement string `json:"Statement"`
	}{string(b)})
}

// removePermission serves RemovePermission.
func (a *API) removePermission(w http.ResponseWriter, r *http.Request) {
	fn, err := a.lookup(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	sid := r.PathValue("sid")
	arn := a.realm.FunctionARN(fn.Name)
	a.policyMu.Lock()
	defer a.policyMu.Unlock()
	doc, sids, err := a.policyDoc(r, arn)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	i := slices.Index(sids, sid)
	if i < 0 {
		a.writeError(w, r, ferry.Errorf(ferry.ENOTFOUND, "Statement %s is not found in resource policy.", sid))
		return
	}
	doc.Statement = slices.Delete(doc.Statement, i, i+1)
	policy := ""
	if len(doc.Statement) > 0 {
		b, _ := json.Marshal(doc)
		policy = string(b)
	}
	if err := a.meta.SetPolicy(r.Context(), arn, policy); err != nil {
		a.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// getPolicy serves GetPolicy.
func (a *API) getPolicy(w http.ResponseWriter, r *http.Request) {
	fn, err := a.lookup(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	p, err := a.meta.Policy(r.Context(), a.realm.FunctionARN(fn.Name))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if p == "" {
		a.writeError(w, r, ferry.Errorf(ferry.ENOTFOUND, "The resource you requested does not exist."))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Policy     string `json:"Policy"`
		RevisionId string `json:"RevisionId"`
	}{p, uuid.NewSHA1(uuid.NameSpaceURL, []byte(p)).String()})
}
