package lambdaapi

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
)

// maxCodeRequestBytes is Lambda's limit on a request carrying a zip file
// directly (50 MB zipped, base64 in JSON).
const maxCodeRequestBytes = 69905067

// reservedEnv are environment variables Lambda sets itself.
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_REGION": true, "AWS_DEFAULT_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true, "AWS_LAMBDA_LOG_GROUP_NAME": true,
	"AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true,
	"AWS_SESSION_TOKEN": true, "AWS_LAMBDA_RUNTIME_API": true, "LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

// functionSettings are the configuration fields CreateFunction and
// UpdateFunctionConfiguration share. Absent fields are nil.
type functionSettings struct {
	Runtime           *string           `json:"Runtime"`
	Handler           *string           `json:"Handler"`
	Timeout           *int              `json:"Timeout"`
	MemorySize        *int              `json:"MemorySize"`
	Environment       *environment      `json:"Environment"`
	DeadLetterConfig  *deadLetterConfig `json:"DeadLetterConfig"`
	Layers            []string          `json:"Layers"`
	FileSystemConfigs []json.RawMessage `json:"FileSystemConfigs"`
	driftSettings
}

type environment struct {
	Variables map[string]string `json:"Variables"`
}

type createFunctionInput struct {
	functionSettings
	FunctionName string            `json:"FunctionName"`
	Code         *codeBody         `json:"Code"`
	PackageType  string            `json:"PackageType"`
	Publish      bool              `json:"Publish"`
	Tags         map[string]string `json:"Tags"`
}

// codeBody is FunctionCode, and the body of UpdateFunctionCode.
type codeBody struct {
	ZipFile  []byte `json:"ZipFile"` // base64 in JSON
	S3Bucket string `json:"S3Bucket"`
	S3Key    string `json:"S3Key"`
	ImageUri string `json:"ImageUri"`
	Publish  bool   `json:"Publish"`
	DryRun   bool   `json:"DryRun"`
}

// validate checks s against Lambda's ranges and what Ferry supports.
func (s *functionSettings) validate() error {
	if s.Runtime != nil {
		if _, err := ferry.RuntimeFamily(*s.Runtime); err != nil {
			return err
		}
	}
	if s.Handler != nil {
		if err := ferry.ValidateHandler(*s.Handler); err != nil {
			return err
		}
	}
	if m := s.MemorySize; m != nil && (*m < 128 || *m > 10240) {
		return ferry.Errorf(ferry.EINVALID, "MemorySize must be between 128 and 10240, got %d", *m)
	}
	if t := s.Timeout; t != nil && (*t < 1 || *t > 900) {
		return ferry.Errorf(ferry.EINVALID, "Timeout must be between 1 and 900, got %d", *t)
	}
	if s.Environment != nil {
		for k := range s.Environment.Variables {
			if reservedEnv[k] {
				return ferry.Errorf(ferry.EINVALID, "Environment.Variables: %s is a reserved key", k)
			}
			if !validEnvKey(k) {
				return ferry.Errorf(ferry.EINVALID, "Environment.Variables: %q is not a valid variable name", k)
			}
		}
	}
	if d := s.DeadLetterConfig; d != nil && deref(d.TargetArn) != "" {
		a, err := ferry.ParseARN(*d.TargetArn)
		if err != nil || (a.Kind != ferry.KindQueue && a.Kind != ferry.KindTopic) {
			return ferry.Errorf(ferry.EINVALID, "DeadLetterConfig.TargetArn %q must be a queue or topic ARN", *d.TargetArn)
		}
	}
	if len(s.Layers) > 0 {
		return ferry.Errorf(ferry.EINVALID, "Layers are not supported by Ferry")
	}
	if len(s.FileSystemConfigs) > 0 {
		return ferry.Errorf(ferry.EINVALID, "FileSystemConfigs are not supported by Ferry")
	}
	return s.driftSettings.validate()
}

func validEnvKey(k string) bool {
	if k == "" || (k[0] >= '0' && k[0] <= '9') {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// apply sets the present fields of s on fn.
func (s *functionSettings) apply(fn *ferry.Function) {
	if s.Runtime != nil {
		fn.Runtime = *s.Runtime
	}
	if s.Handler != nil {
		fn.Handler = *s.Handler
	}
	if s.Timeout != nil {
		fn.Timeout = time.Duration(*s.Timeout) * time.Second
	}
	if s.MemorySize != nil {
		fn.Memory = *s.MemorySize
	}
	if s.Environment != nil {
		fn.Env = s.Environment.Variables
	}
	if s.DeadLetterConfig != nil {
		fn.DeadLetterTarget = deref(s.DeadLetterConfig.TargetArn)
	}
	s.driftSettings.apply(fn)
}

// checkCode refuses code sources Ferry cannot fetch.
func (c *codeBody) check() error {
	switch {
	case c.S3Bucket != "" || c.S3Key != "":
		return ferry.Errorf(ferry.EINVALID, "Code.S3Bucket/S3Key are not supported by Ferry; upload ZipFile")
	case c.ImageUri != "":
		return ferry.Errorf(ferry.EINVALID, "Code.ImageUri is not supported by Ferry; upload ZipFile")
	case len(c.ZipFile) == 0:
		return ferry.Errorf(ferry.EINVALID, "ZipFile is required")
	}
	return nil
}

// decodeCreateFunction parses and validates a CreateFunction body.
func decodeCreateFunction(b []byte) (createFunctionInput, error) {
	var in createFunctionInput
	if err := decodeJSON(b, &in); err != nil {
		return in, err
	}
	if !validFunctionName(in.FunctionName) {
		return in, ferry.Errorf(ferry.EINVALID,
			"FunctionName %q must be 1-64 characters of letters, digits, '-' and '_'", in.FunctionName)
	}
	if in.Runtime == nil || *in.Runtime == "" {
		return in, ferry.Errorf(ferry.EINVALID, "Runtime is required")
	}
	if in.Role == nil {
		return in, ferry.Errorf(eValidation, "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null")
	}
	if err := ferry.ValidateTags(nil, in.Tags); err != nil {
		return in, err
	}
	if in.PackageType != "" && in.PackageType != "Zip" {
		return in, ferry.Errorf(ferry.EINVALID, "PackageType %q is not supported by Ferry (Zip only)", in.PackageType)
	}
	if in.Code == nil {
		return in, ferry.Errorf(ferry.EINVALID, "Code is required")
	}
	in.Code.Publish = in.Code.Publish || in.Publish
	if err := in.Code.check(); err != nil {
		return in, err
	}
	return in, in.functionSettings.validate()
}

// codeMeta is stored beside each code revision: <rev>.json.
type codeMeta struct {
	CodeSize   int64  `json:"codeSize"`
	CodeSha256 string `json:"codeSha256"`
}

// storeCode unpacks zipFile into a new revision directory of the function
// and returns its path. With a CodeStore the zip is kept there too, under
// "<function>/<revision>", before the revision is used.
func (a *API) storeCode(ctx context.Context, name string, zipFile []byte) (string, error) {
	root := a.functionCodeRoot(name)
	if root == "" {
		return "", ferry.Errorf(ferry.EINVALID, "uploading code is not enabled: the Lambda API has no code directory")
	}
	rev := uuid.Must(uuid.NewV7()).String()
	dir, err := installRevision(root, rev, zipFile)
	if err != nil {
		return "", err
	}
	if a.code != nil {
		if err := a.code.Put(ctx, codeKey(name, rev), zipFile); err != nil {
			_ = os.RemoveAll(dir)
			_ = os.Remove(dir + ".json")
			return "", fmt.Errorf("keep code of function %s: %w", name, err)
		}
	}
	return dir, nil
}

// codeKey is the CodeStore key of a revision.
func codeKey(name, rev string) string { return name + "/" + rev }

// installRevision unpacks zipFile into <root>/<rev> (through a temporary
// directory, so the revision appears complete or not at all) and writes its
// metadata beside it.
func installRevision(root, rev string, zipFile []byte) (string, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("create code directory: %w", err)
	}
	tmp := filepath.Join(root, ".tmp-"+uuid.NewString())
	if err := unpackZip(zipFile, tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	sum := sha256.Sum256(zipFile)
	meta, _ := json.Marshal(codeMeta{CodeSize: int64(len(zipFile)), CodeSha256: base64.StdEncoding.EncodeToString(sum[:])})
	dir := filepath.Join(root, rev)
	if err := os.WriteFile(dir+".json", meta, 0o644); err != nil {
		_ = os.RemoveAll(tmp)
		return "", fmt.Errorf("write code metadata: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.RemoveAll(tmp)
		return "", fmt.Errorf("install code revision: %w", err)
	}
	return dir, nil
}

// removeRevision deletes a code revision this API created, on disk and in
// the CodeStore.
func (a *API) removeRevision(ctx context.Context, name, dir string) {
	if dir == "" || filepath.Dir(dir) != a.functionCodeRoot(name) {
		return
	}
	_ = os.RemoveAll(dir)
	_ = os.Remove(dir + ".json")
	a.forgetRevision(ctx, name, dir)
}

// forgetRevision deletes a revision's zip from the CodeStore.
func (a *API) forgetRevision(ctx context.Context, name, dir string) {
	if a.code == nil || dir == "" || filepath.Dir(dir) != a.functionCodeRoot(name) {
		return
	}
	if err := a.code.Delete(ctx, codeKey(name, filepath.Base(dir))); err != nil {
		a.log.Warn("remove stored function code", "function", name, "revision", filepath.Base(dir), "err", err)
	}
}

// pruneRevisions removes every revision of a function but keep.
func (a *API) pruneRevisions(name string, keep ...string) {
	root := a.functionCodeRoot(name)
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	kept := map[string]bool{}
	for _, k := range keep {
		kept[k] = true
		kept[k+".json"] = true
	}
	for _, e := range entries {
		p := filepath.Join(root, e.Name())
		// .tmp- directories belong to uploads still being unpacked.
		if !kept[p] && !strings.HasPrefix(e.Name(), ".tmp-") {
			_ = os.RemoveAll(p)
		}
	}
}

// codeInfo returns the size and SHA-256 of the zip a function's code came
// from, when this API unpacked it.
func (a *API) codeInfo(fn *ferry.Function) (int64, string) {
	root := a.functionCodeRoot(fn.Name)
	if root == "" || filepath.Dir(fn.CodeDir) != root {
		return 0, ""
	}
	b, err := os.ReadFile(fn.CodeDir + ".json")
	if err != nil {
		return 0, ""
	}
	var m codeMeta
	if json.Unmarshal(b, &m) != nil {
		return 0, ""
	}
	return m.CodeSize, m.CodeSha256
}

// createFunction serves CreateFunction.
func (a *API) createFunction(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r.Body, maxCodeRequestBytes, "CreateFunction")
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	in, err := decodeCreateFunction(b)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	// A quick refusal before the code is stored; CreateFunction decides.
	if _, err := a.fns.GetFunction(r.Context(), in.FunctionName); err == nil {
		a.writeError(w, r, ferry.Errorf(ferry.ECONFLICT, "Function already exist: %s", in.FunctionName))
		return
	} else if ferry.ErrorCode(err) != ferry.ENOTFOUND {
		a.writeError(w, r, err)
		return
	}
	dir, err := a.storeCode(r.Context(), in.FunctionName, in.Code.ZipFile)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	fn := &ferry.Function{Name: in.FunctionName, CodeDir: dir}
	in.functionSettings.apply(fn)
	fn.ConfigModified = time.Now().UTC()
	if err := a.fns.CreateFunction(r.Context(), fn); err != nil {
		a.removeRevision(r.Context(), fn.Name, dir)
		a.writeError(w, r, err)
		return
	}
	if err := a.tagCreated(r.Context(), fn.Name, in.Tags); err != nil {
		a.writeError(w, r, err)
		return
	}
	a.log.Info("function created", "function", fn.Name, "runtime", fn.Runtime, "code", dir)
	a.noteRole(fn)
	if in.Code.Publish {
		v, err := a.publish(r, fn, "")
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, v.Config)
		return
	}
	writeJSON(w, http.StatusCreated, a.configurationOf(fn))
}

// updateFunctionCode serves UpdateFunctionCode: the code goes to a new
// revision directory and the stored function's Modified changes, which
// retires warm instances of the old code.
func (a *API) updateFunctionCode(w http.ResponseWriter, r *http.Request) {
	ref, err := parseFunctionName(a.realm, r.PathValue("name"), "")
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	b, err := readBody(r.Body, maxCodeRequestBytes, "UpdateFunctionCode")
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	var in codeBody
	if err := decodeJSON(b, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	if err := in.check(); err != nil {
		a.writeError(w, r, err)
		return
	}
	if in.DryRun {
		fn, err := a.get(r.Context(), ref.Name)
		if err == nil {
			_, zerr := zip.NewReader(bytes.NewReader(in.ZipFile), int64(len(in.ZipFile)))
			if zerr != nil {
				err = ferry.Errorf(ferry.EINVALID, "Could not unzip uploaded file: %v", zerr)
			}
		}
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, a.configurationOf(fn))
		return
	}
	if _, err := a.get(r.Context(), ref.Name); err != nil {
		a.writeError(w, r, err)
		return
	}
	dir, err := a.storeCode(r.Context(), ref.Name, in.ZipFile)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	var previous string
	fn, err := a.update(r.Context(), ref.Name, func(fn *ferry.Function) error {
		previous = fn.CodeDir
		fn.CodeDir = dir
		fn.ConfigModified = time.Now().UTC()
		return nil
	})
	if err != nil {
		a.removeRevision(r.Context(), ref.Name, dir)
		a.writeError(w, r, err)
		return
	}
	// Keep the previous revision on disk for instances still finishing on
	// it; only the current one needs to be restorable.
	a.pruneRevisions(ref.Name, dir, previous)
	a.forgetRevision(r.Context(), ref.Name, previous)
	a.log.Info("function code updated", "function", fn.Name, "code", dir)
	if in.Publish {
		v, err := a.publish(r, fn, "")
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v.Config)
		return
	}
	writeJSON(w, http.StatusOK, a.configurationOf(fn))
}

// updateFunctionConfiguration serves UpdateFunctionConfiguration.
func (a *API) updateFunctionConfiguration(w http.ResponseWriter, r *http.Request) {
	ref, err := parseFunctionName(a.realm, r.PathValue("name"), "")
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	var in functionSettings
	if err := readJSON(r, "UpdateFunctionConfiguration", &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	if err := in.validate(); err != nil {
		a.writeError(w, r, err)
		return
	}
	fn, err := a.update(r.Context(), ref.Name, func(fn *ferry.Function) error {
		in.apply(fn)
		fn.ConfigModified = time.Now().UTC()
		return nil
	})
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.configurationOf(fn))
}
