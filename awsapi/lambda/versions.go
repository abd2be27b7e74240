package lambdaapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
)

// Versions and aliases. PublishVersion (and Publish on CreateFunction and
// UpdateFunctionCode) snapshots the function's configuration and code
// revision as version 1, 2, ...; aliases name a version. Ferry runs the
// current code and configuration of a function only: a version or alias
// can be read (GetFunction, GetFunctionConfiguration, GetAlias) and
// invoked while it is the same as $LATEST (the deploy-then-alias flow of
// SAM, CDK and the Serverless Framework); invoking an older one is refused
// by name. Alias routing (weighted versions) is refused by name.

// aliasNamePattern is Lambda's alias name constraint: not all digits.
var (
	aliasNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
	allDigits        = regexp.MustCompile(`^[0-9]+$`)
)

// fingerprint identifies a function's code and configuration, to tell a
// version that is still $LATEST from an older one.
func (a *API) fingerprint(fn *ferry.Function) string {
	c := a.configurationOf(fn)
	c.LastModified, c.Version, c.FunctionArn = "", "", ""
	b, _ := json.Marshal(struct {
		C   functionConfiguration
		Dir string
	}{c, fn.CodeDir})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// publish snapshots fn as a new version, unless its latest version is
// already the same code and configuration (then that one is returned, as
// Lambda does).
func (a *API) publish(r *http.Request, fn *ferry.Function, description string) (versionRecord, error) {
	fp := a.fingerprint(fn)
	var out versionRecord
	_, err := a.versions.Update(r.Context(), fn.Name, func(v *functionVersions) error {
		if n := len(v.Versions); n > 0 && v.Versions[n-1].Fingerprint == fp {
			out = v.Versions[n-1]
			return nil
		}
		if v.Next == 0 {
			v.Next = 1
		}
		ver := strconv.Itoa(v.Next)
		v.Next++
		c := a.configurationOf(fn)
		c.Version, c.FunctionArn = ver, a.realm.FunctionARN(fn.Name)+":"+ver
		if description != "" {
			c.Description = description
		}
		out = versionRecord{Version: ver, Config: c, CodeDir: fn.CodeDir, Fingerprint: fp}
		v.Versions = append(v.Versions, out)
		return nil
	})
	return out, err
}

// resolve returns the version a qualifier names (an alias resolves to its
// version); nil for $LATEST or no qualifier.
func (a *API) resolveVersion(r *http.Request, name, q string) (*versionRecord, string, error) {
	if q == "" || q == ferry.LatestVersion {
		return nil, "", nil
	}
	v, err := a.versions.Get(r.Context(), name)
	if err != nil {
		return nil, "", err
	}
	alias := ""
	if al, ok := v.Aliases[q]; ok {
		alias, q = al.Name, al.FunctionVersion
		if q == ferry.LatestVersion {
			return nil, alias, nil
		}
	}
	for i := range v.Versions {
		if v.Versions[i].Version == q {
			return &v.Versions[i], alias, nil
		}
	}
	return nil, "", ferry.Errorf(ferry.ENOTFOUND, "Function not found: %s:%s", a.realm.FunctionARN(name), q)
}

// lookupQualified returns the function a request names and the version its
// qualifier resolves to (nil for $LATEST).
func (a *API) lookupQualified(r *http.Request) (*ferry.Function, *versionRecord, error) {
	ref, err := parseQualified(r.PathValue("name"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return nil, nil, err
	}
	fn, err := a.get(r.Context(), ref.Name)
	if err != nil {
		return nil, nil, err
	}
	ver, _, err := a.resolveVersion(r, fn.Name, ref.Qualifier)
	return fn, ver, err
}

// runnable checks that a version can run: Ferry runs $LATEST's code and
// configuration only.
func (a *API) runnable(fn *ferry.Function, ver *versionRecord) error {
	if ver == nil || ver.Fingerprint == a.fingerprint(fn) {
		return nil
	}
	return ferry.Errorf(ferry.EINVALID, "Ferry runs the current code and configuration of a function only, and version %s of %s is older; "+
		"publish a new version (or point the alias at the latest one) to run it", ver.Version, fn.Name)
}

type publishVersionInput struct {
	CodeSha256  string `json:"CodeSha256"`
	Description string `json:"Description"`
	RevisionId  string `json:"RevisionId"`
}

// publishVersion serves PublishVersion.
func (a *API) publishVersion(w http.ResponseWriter, r *http.Request) {
	fn, err := a.lookup(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	var in publishVersionInput
	if err := readJSON(r, "PublishVersion", &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	if _, sha := a.codeInfo(fn); in.CodeSha256 != "" && in.CodeSha256 != sha {
		a.writeError(w, r, ferry.Errorf(ferry.EINVALID, "CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again.", in.CodeSha256, sha))
		return
	}
	v, err := a.publish(r, fn, in.Description)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, v.Config)
}

// listVersionsByFunction serves ListVersionsByFunction: $LATEST, then the
// published versions.
func (a *API) listVersionsByFunction(w http.ResponseWriter, r *http.Request) {
	fn, err := a.lookup(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	v, err := a.versions.Get(r.Context(), fn.Name)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	out := struct {
		Versions []functionConfiguration `json:"Versions"`
	}{[]functionConfiguration{a.configurationOf(fn)}}
	for _, ver := range v.Versions {
		out.Versions = append(out.Versions, ver.Config)
	}
	writeJSON(w, http.StatusOK, out)
}

type aliasInput struct {
	Name            *string         `json:"Name"`
	FunctionVersion *string         `json:"FunctionVersion"`
	Description     *string         `json:"Description"`
	RoutingConfig   json.RawMessage `json:"RoutingConfig"`
	RevisionId      string          `json:"RevisionId"`
}

type aliasConfiguration struct {
	AliasArn        string `json:"AliasArn"`
	Name            string `json:"Name"`
	FunctionVersion string `json:"FunctionVersion"`
	Description     string `json:"Description,omitempty"`
	RevisionId      string `json:"RevisionId"`
}

func (a *API) aliasOut(fn string, al aliasRecord) aliasConfiguration {
	return aliasConfiguration{AliasArn: a.realm.FunctionARN(fn) + ":" + al.Name, Name: al.Name,
		FunctionVersion: al.FunctionVersion, Description: al.Description, RevisionId: al.RevisionID}
}

// checkAlias validates the members CreateAlias and UpdateAlias share.
func checkAlias(in *aliasInput, v *functionVersions) error {
	if len(in.RoutingConfig) > 0 && string(in.RoutingConfig) != "null" && string(in.RoutingConfig) != "{}" {
		var rc struct {
			AdditionalVersionWeights map[string]float64
		}
		if json.Unmarshal(in.RoutingConfig, &rc) != nil || len(rc.AdditionalVersionWeights) > 0 {
			return ferry.Errorf(ferry.EINVALID, "RoutingConfig (weighted alias routing) is not supported by Ferry, which runs one version of a function")
		}
	}
	if in.FunctionVersion != nil {
		fv := *in.FunctionVersion
		if fv != ferry.LatestVersion && !slices.ContainsFunc(v.Versions, func(r versionRecord) bool { return r.Version == fv }) {
			return ferry.Errorf(ferry.ENOTFOUND, "Function version %s does not exist", fv)
		}
	}
	return nil
}

// createAlias serves CreateAlias.
func (a *API) createAlias(w http.ResponseWriter, r *http.Request) {
	fn, err := a.lookup(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	var in aliasInput
	if err := readJSON(r, "CreateAlias", &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	name := deref(in.Name)
	if !aliasNamePattern.MatchString(name) || allDigits.MatchString(name) {
		a.writeError(w, r, ferry.Errorf(eValidation, "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)", name))
		return
	}
	if in.FunctionVersion == nil {
		a.writeError(w, r, ferry.Errorf(eValidation, "1 validation error detected: Value null at 'functionVersion' failed to satisfy constraint: Member must not be null"))
		return
	}
	var out aliasRecord
	_, err = a.versions.Update(r.Context(), fn.Name, func(v *functionVersions) error {
		if err := checkAlias(&in, v); err != nil {
			return err
		}
		if _, ok := v.Aliases[name]; ok {
			return ferry.Errorf(ferry.ECONFLICT, "Alias already exists: %s:%s", a.realm.FunctionARN(fn.Name), name)
		}
		out = aliasRecord{Name: name, FunctionVersion: *in.FunctionVersion, Description: deref(in.Description), RevisionID: uuid.NewString()}
		if v.Aliases == nil {
			v.Aliases = map[string]aliasRecord{}
		}
		v.Aliases[name] = out
		return nil
	})
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a.aliasOut(fn.Name, out))
}

// aliasOf reads one alias; a missing one is ResourceNotFoundException.
func (a *API) aliasOf(r *http.Request, fn string) (aliasRecord, error) {
	v, err := a.versions.Get(r.Context(), fn)
	if err != nil {
		return aliasRecord{}, err
	}
	al, ok := v.Aliases[r.PathValue("alias")]
	if !ok {
		return aliasRecord{}, ferry.Errorf(ferry.ENOTFOUND, "Alias not found: %s:%s", a.realm.FunctionARN(fn), r.PathValue("alias"))
	}
	return al, nil
}

// getAlias serves GetAlias.
func (a *API) getAlias(w http.ResponseWriter, r *http.Request) {
	fn, err := a.lookup(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	al, err := a.aliasOf(r, fn.Name)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.aliasOut(fn.Name, al))
}

// updateAlias serves UpdateAlias.
func (a *API) updateAlias(w http.ResponseWriter, r *http.Request) {
	fn, err := a.lookup(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	var in aliasInput
	if err := readJSON(r, "UpdateAlias", &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	name := r.PathValue("alias")
	var out aliasRecord
	_, err = a.versions.Update(r.Context(), fn.Name, func(v *functionVersions) error {
		al, ok := v.Aliases[name]
		if !ok {
			return ferry.Errorf(ferry.ENOTFOUND, "Alias not found: %s:%s", a.realm.FunctionARN(fn.Name), name)
		}
		if in.RevisionId != "" && in.RevisionId != al.RevisionID {
			return ferry.Errorf(ePrecondition, "The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id")
		}
		if err := checkAlias(&in, v); err != nil {
			return err
		}
		if in.FunctionVersion != nil {
			al.FunctionVersion = *in.FunctionVersion
		}
		if in.Description != nil {
			al.Description = *in.Description
		}
		al.RevisionID = uuid.NewString()
		v.Aliases[name] = al
		out = al
		return nil
	})
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.aliasOut(fn.Name, out))
}

// deleteAlias serves DeleteAlias; deleting an alias that does not exist
// succeeds, as in Lambda.
func (a *API) deleteAlias(w http.ResponseWriter, r *http.Request) {
	fn, err := a.lookup(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if _, err := a.versions.Update(r.Context(), fn.Name, func(v *functionVersions) error {
		delete(v.Aliases, r.PathValue("alias"))
		return nil
	}); err != nil {
		a.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listAliases serves ListAliases, optionally of one FunctionVersion.
func (a *API) listAliases(w http.ResponseWriter, r *http.Request) {
	fn, err := a.lookup(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	v, err := a.versions.Get(r.Context(), fn.Name)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	out := struct {
		Aliases []aliasConfiguration `json:"Aliases"`
	}{[]aliasConfiguration{}}
	want := r.URL.Query().Get("FunctionVersion")
	for _, al := range v.Aliases {
		if want == "" || al.FunctionVersion == want {
			out.Aliases = append(out.Aliases, a.aliasOut(fn.Name, al))
		}
	}
	slices.SortFunc(out.Aliases, func(x, y aliasConfiguration) int {
		if x.Name < y.Name {
			return -1
		}
		if x.Name > y.Name {
			return 1
		}
		return 0
	})
	writeJSON(w, http.StatusOK, out)
}
