package lambdaapi

import (
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/ferry-run/ferry"
)

// lastModifiedLayout is how Lambda formats FunctionConfiguration.LastModified.
const lastModifiedLayout = "2006-01-02T15:04:05.000+0000"

// functionConfiguration is a FunctionConfiguration on the wire.
type functionConfiguration struct {
	FunctionName     string               `json:"FunctionName"`
	FunctionArn      string               `json:"FunctionArn"`
	Runtime          string               `json:"Runtime"`
	Handler          string               `json:"Handler,omitempty"`
	CodeSize         int64                `json:"CodeSize"`
	CodeSha256       string               `json:"CodeSha256,omitempty"`
	Timeout          int                  `json:"Timeout"`
	MemorySize       int                  `json:"MemorySize"`
	LastModified     string               `json:"LastModified"`
	Version          string               `json:"Version"`
	Environment      *environmentResponse `json:"Environment,omitempty"`
	DeadLetterConfig *deadLetterConfig    `json:"DeadLetterConfig,omitempty"`
	State            string               `json:"State"`
	LastUpdateStatus string               `json:"LastUpdateStatus"`
	PackageType      string               `json:"PackageType"`
	driftFields
}

type environmentResponse struct {
	Variables map[string]string `json:"Variables"`
}

type deadLetterConfig struct {
	TargetArn *string `json:"TargetArn,omitempty"`
}

type concurrency struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

// configurationOf renders fn.
func (a *API) configurationOf(fn *ferry.Function) functionConfiguration {
	size, sha := a.codeInfo(fn)
	c := functionConfiguration{
		FunctionName:     fn.Name,
		FunctionArn:      a.realm.FunctionARN(fn.Name),
		Runtime:          fn.Runtime,
		Handler:          fn.Handler,
		CodeSize:         size,
		CodeSha256:       sha,
		Timeout:          int(fn.TimeoutOrDefault() / time.Second),
		MemorySize:       fn.MemoryMB(),
		LastModified:     lastModified(fn),
		Version:          ferry.LatestVersion,
		State:            "Active",
		LastUpdateStatus: "Successful",
		PackageType:      "Zip",
		driftFields:      driftOf(fn),
	}
	if len(fn.Env) > 0 {
		c.Environment = &environmentResponse{Variables: fn.Env}
	}
	if fn.DeadLetterTarget != "" {
		t := fn.DeadLetterTarget
		c.DeadLetterConfig = &deadLetterConfig{TargetArn: &t}
	}
	return c
}

// getFunction serves GetFunction.
func (a *API) getFunction(w http.ResponseWriter, r *http.Request) {
	fn, ver, err := a.lookupQualified(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	tags, err := a.meta.Tags(r.Context(), a.realm.FunctionARN(fn.Name))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	out := struct {
		Configuration functionConfiguration `json:"Configuration"`
		Code          struct {
			RepositoryType string `json:"RepositoryType"`
			Location       string `json:"Location"`
		} `json:"Code"`
		Concurrency *concurrency      `json:"Concurrency,omitempty"`
		Tags        map[string]string `json:"Tags,omitempty"`
	}{Configuration: a.configurationOf(fn), Tags: tags}
	out.Code.RepositoryType = "S3"
	out.Code.Location = codeLocation(r, fn.Name)
	if ver != nil {
		out.Configuration = ver.Config
	}
	if fn.ReservedConcurrency != nil {
		out.Concurrency = &concurrency{ReservedConcurrentExecutions: fn.ReservedConcurrency}
	}
	writeJSON(w, http.StatusOK, out)
}

// getFunctionConfiguration serves GetFunctionConfiguration.
func (a *API) getFunctionConfiguration(w http.ResponseWriter, r *http.Request) {
	fn, ver, err := a.lookupQualified(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if ver != nil {
		writeJSON(w, http.StatusOK, ver.Config)
		return
	}
	writeJSON(w, http.StatusOK, a.configurationOf(fn))
}

// listFunctions serves ListFunctions.
func (a *API) listFunctions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	max, err := parseMaxItems(q.Get("MaxItems"), 10000)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if max == 10000 && q.Get("MaxItems") == "" {
		max = 50
	}
	if v := q.Get("FunctionVersion"); v != "" && v != "ALL" {
		a.writeError(w, r, ferry.Errorf(ferry.EINVALID, "FunctionVersion %q must be ALL", v))
		return
	}
	fns, err := a.fns.ListFunctions(r.Context())
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	page, next := paginate(fns, func(fn *ferry.Function) string { return fn.Name }, q.Get("Marker"), max)
	out := struct {
		Functions  []functionConfiguration `json:"Functions"`
		NextMarker string                  `json:"NextMarker,omitempty"`
	}{Functions: make([]functionConfiguration, 0, len(page)), NextMarker: next}
	for _, fn := range page {
		out.Functions = append(out.Functions, a.configurationOf(fn))
	}
	writeJSON(w, http.StatusOK, out)
}

// deleteFunction serves DeleteFunction; code Ferry unpacked is removed too.
func (a *API) deleteFunction(w http.ResponseWriter, r *http.Request) {
	ref, err := parseFunctionName(a.realm, r.PathValue("name"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	var codeDir string
	if cur, err := a.fns.GetFunction(r.Context(), ref.Name); err == nil {
		codeDir = cur.CodeDir
	}
	err = a.fns.DeleteFunction(r.Context(), ref.Name)
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		err = a.notFound(ref.Name)
	}
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.forgetRevision(r.Context(), ref.Name, codeDir)
	if err := a.versions.Delete(r.Context(), ref.Name); err != nil {
		a.log.Warn("forget function versions", "function", ref.Name, "err", err)
	}
	if err := a.meta.Forget(r.Context(), a.realm.FunctionARN(ref.Name)); err != nil {
		a.log.Warn("forget function tags and policy", "function", ref.Name, "err", err)
	}
	if dir := a.functionCodeRoot(ref.Name); dir != "" {
		if err := os.RemoveAll(dir); err != nil {
			a.log.Warn("remove function code", "function", ref.Name, "dir", dir, "err", err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// putFunctionConcurrency serves PutFunctionConcurrency.
func (a *API) putFunctionConcurrency(w http.ResponseWriter, r *http.Request) {
	ref, err := parseFunctionName(a.realm, r.PathValue("name"), "")
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	var in concurrency
	if err := readJSON(r, "PutFunctionConcurrency", &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	n := in.ReservedConcurrentExecutions
	if n == nil || *n < 0 {
		a.writeError(w, r, ferry.Errorf(ferry.EINVALID, "ReservedConcurrentExecutions is required and must be >= 0"))
		return
	}
	if _, err := a.update(r.Context(), ref.Name, func(fn *ferry.Function) error {
		v := *n
		fn.ReservedConcurrency = &v
		return nil
	}); err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, concurrency{ReservedConcurrentExecutions: n})
}

// getFunctionConcurrency serves GetFunctionConcurrency.
func (a *API) getFunctionConcurrency(w http.ResponseWriter, r *http.Request) {
	fn, err := a.lookup(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, concurrency{ReservedConcurrentExecutions: fn.ReservedConcurrency})
}

// deleteFunctionConcurrency serves DeleteFunctionConcurrency.
func (a *API) deleteFunctionConcurrency(w http.ResponseWriter, r *http.Request) {
	ref, err := parseFunctionName(a.realm, r.PathValue("name"), "")
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if _, err := a.update(r.Context(), ref.Name, func(fn *ferry.Function) error {
		fn.ReservedConcurrency = nil
		return nil
	}); err != nil {
		a.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type recursionConfig struct {
	RecursiveLoop string `json:"RecursiveLoop"`
}

// putFunctionRecursionConfig serves PutFunctionRecursionConfig.
func (a *API) putFunctionRecursionConfig(w http.ResponseWriter, r *http.Request) {
	ref, err := parseFunctionName(a.realm, r.PathValue("name"), "")
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	var in recursionConfig
	if err := readJSON(r, "PutFunctionRecursionConfig", &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	if in.RecursiveLoop != ferry.RecursiveLoopAllow && in.RecursiveLoop != ferry.RecursiveLoopTerminate {
		a.writeError(w, r, ferry.Errorf(ferry.EINVALID, "RecursiveLoop %q must be Allow or Terminate", in.RecursiveLoop))
		return
	}
	if _, err := a.update(r.Context(), ref.Name, func(fn *ferry.Function) error {
		fn.RecursiveLoop = in.RecursiveLoop
		return nil
	}); err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, in)
}

// getFunctionRecursionConfig serves GetFunctionRecursionConfig.
func (a *API) getFunctionRecursionConfig(w http.ResponseWriter, r *http.Request) {
	fn, err := a.lookup(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	loop := fn.RecursiveLoop
	if loop == "" {
		loop = ferry.RecursiveLoopTerminate
	}
	writeJSON(w, http.StatusOK, recursionConfig{RecursiveLoop: loop})
}

// functionCodeRoot returns <CodeDir>/<name> when CodeDir is set.
func (a *API) functionCodeRoot(name string) string {
	if a.codeDir == "" || !validFunctionName(name) {
		return ""
	}
	return filepath.Join(a.codeDir, name)
}
