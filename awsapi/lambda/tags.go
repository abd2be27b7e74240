package lambdaapi

import (
	"context"
	"net/http"

	"github.com/ferry-run/ferry"
)

// Function tags live in the API's ResourceMeta under the unqualified
// function ARN: TagResource merges, UntagResource removes, ListTags and
// GetFunction return them, CreateFunction Tags tag the new function and
// DeleteFunction forgets them.

// taggedFunction resolves the ARN of a tagging request's path to an
// existing function's ARN.
func (a *API) taggedFunction(r *http.Request) (string, error) {
	raw := r.PathValue("arn")
	arn, err := ferry.ParseARN(raw)
	if err != nil || arn.Kind != ferry.KindFunction {
		return "", ferry.Errorf(ferry.EINVALID, "%s is not a function ARN; Ferry tags functions", ferry.Shorten(raw))
	}
	if arn.Qualifier != "" {
		return "", ferry.Errorf(ferry.EINVALID, "Tags apply to a function, not to a version or alias: %s", ferry.Shorten(raw))
	}
	if _, err := a.get(r.Context(), arn.Name); err != nil {
		return "", err
	}
	return a.realm.FunctionARN(arn.Name), nil
}

// tagCreated gives a function just created its tags, forgetting any a
// deleted function of the same name left.
func (a *API) tagCreated(ctx context.Context, name string, tags map[string]string) error {
	arn := a.realm.FunctionARN(name)
	if err := a.meta.Forget(ctx, arn); err != nil {
		return err
	}
	if len(tags) == 0 {
		return nil
	}
	return a.meta.Tag(ctx, arn, tags)
}

// tagResource serves TagResource.
func (a *API) tagResource(w http.ResponseWriter, r *http.Request) {
	arn, err := a.taggedFunction(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	var in struct {
		Tags map[string]string `json:"Tags"`
	}
	if err := readJSON(r, "TagResource", &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	if len(in.Tags) == 0 {
		a.writeError(w, r, ferry.Errorf(eValidation, "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"))
		return
	}
	if err := a.meta.Tag(r.Context(), arn, in.Tags); err != nil {
		a.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// untagResource serves UntagResource.
func (a *API) untagResource(w http.ResponseWriter, r *http.Request) {
	arn, err := a.taggedFunction(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	keys := r.URL.Query()["tagKeys"]
	if len(keys) == 0 {
		a.writeError(w, r, ferry.Errorf(eValidation, "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"))
		return
	}
	if err := a.meta.Untag(r.Context(), arn, keys); err != nil {
		a.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listTags serves ListTags.
func (a *API) listTags(w http.ResponseWriter, r *http.Request) {
	arn, err := a.taggedFunction(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	tags, err := a.meta.Tags(r.Context(), arn)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Tags map[string]string `json:"Tags"`
	}{tags})
}
