package lambdaapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/ferry-run/ferry"
)

// maxBodyBytes bounds the JSON body of every operation except those that
// carry code.
const maxBodyBytes = 1 << 20

// functionRef is a function name resolved from a path label and ?Qualifier.
type functionRef struct {
	Name      string
	Qualifier string // "" or "$LATEST"
}

// parseFunctionName resolves a name, partial ARN ("123456789012:function:name")
// or full ARN, each optionally ending in ":qualifier", together with the
// Qualifier query parameter.
func parseFunctionName(realm ferry.Realm, raw, qualifier string) (functionRef, error) {
	ref, err := parseQualified(raw, qualifier)
	if err != nil {
		return ref, err
	}
	if q := ref.Qualifier; q != "" && q != ferry.LatestVersion {
		arn := ferry.ARN{Kind: ferry.KindFunction, Region: realm.Region, Account: realm.Account, Name: ref.Name, Qualifier: q}
		return functionRef{}, ferry.Errorf(ferry.ENOTFOUND, "Function not found: %s", arn)
	}
	return ref, nil
}

// parseQualified is parseFunctionName for the operations that take a
// version or alias qualifier: any valid qualifier is returned.
func parseQualified(raw, qualifier string) (functionRef, error) {
	name, q := raw, ""
	p := strings.Split(raw, ":")
	switch {
	case len(p) >= 6 && p[0] == "arn":
		a, err := ferry.ParseARN(raw)
		if err != nil || a.Kind != ferry.KindFunction {
			return functionRef{}, ferry.Errorf(ferry.EINVALID, "FunctionName %s is not a function name or ARN", ferry.Shorten(raw))
		}
		name, q = a.Name, a.Qualifier
	case len(p) >= 3 && p[1] == "function":
		if len(p) > 4 {
			return functionRef{}, ferry.Errorf(ferry.EINVALID, "FunctionName %s is not a function name or ARN", ferry.Shorten(raw))
		}
		name = p[2]
		if len(p) == 4 {
			q = p[3]
		}
	case len(p) == 2:
		name, q = p[0], p[1]
	case len(p) > 2:
		return functionRef{}, ferry.Errorf(ferry.EINVALID, "FunctionName %s is not a function name or ARN", ferry.Shorten(raw))
	}
	if !validFunctionName(name) {
		return functionRef{}, ferry.Errorf(ferry.EINVALID,
			"FunctionName %s must be 1-64 characters of letters, digits, '-' and '_'", ferry.Shorten(raw))
	}
	if q != "" && qualifier != "" && q != qualifier {
		return functionRef{}, ferry.Errorf(ferry.EINVALID,
			"The derived qualifier from the function name does not match the specified qualifier.")
	}
	if q == "" {
		q = qualifier
	}
	if q != "" && !ferry.ValidChars(q, 128, "$-_") {
		return functionRef{}, ferry.Errorf(ferry.EINVALID,
			"Qualifier %s must be 1-128 characters of letters, digits, '$', '-' and '_'", ferry.Shorten(q))
	}
	return functionRef{Name: name, Qualifier: q}, nil
}

// validFunctionName reports whether s is a valid unqualified function name.
func validFunctionName(s string) bool {
	return ferry.ValidFunctionName(s)
}

// notFound is Lambda's error for a missing function.
func (a *API) notFound(name string) error {
	return ferry.Errorf(ferry.ENOTFOUND, "Function not found: %s", a.realm.FunctionARN(name))
}

// lookup resolves the request's {name} label and ?Qualifier to a function.
func (a *API) lookup(r *http.Request) (*ferry.Function, error) {
	ref, err := parseFunctionName(a.realm, r.PathValue("name"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return nil, err
	}
	return a.get(r.Context(), ref.Name)
}

// get returns a function by name with Lambda's not-found message.
func (a *API) get(ctx context.Context, name string) (*ferry.Function, error) {
	fn, err := a.fns.GetFunction(ctx, name)
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		return nil, a.notFound(name)
	}
	return fn, err
}

// update applies change to a copy of the named function and stores it with
// compare-and-swap: an update racing it on any node makes change run again
// on the newer copy, never losing either.
func (a *API) update(ctx context.Context, name string, change func(fn *ferry.Function) error) (*ferry.Function, error) {
	fn, err := a.fns.UpdateFunction(ctx, name, change)
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		return nil, a.notFound(name)
	}
	return fn, err
}

// readBody reads at most limit bytes of the request body; ETOOLARGE beyond.
func readBody(r io.Reader, limit int64, op string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		// The client sent a body that cannot be read (a broken chunked
		// encoding, a connection cut mid-body).
		return nil, ferry.Wrap(ferry.EINVALIDJSON, err, "Could not read the request body for the %s operation", op)
	}
	if int64(len(b)) > limit {
		return nil, ferry.Errorf(ferry.ETOOLARGE, "Request must be smaller than %d bytes for the %s operation", limit, op)
	}
	return b, nil
}

// decodeJSON decodes a JSON request body into v; an empty body leaves v as is.
func decodeJSON(b []byte, v any) error {
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return ferry.Wrap(ferry.EINVALIDJSON, err, "Could not parse request body into json")
	}
	return nil
}

// readJSON reads and decodes a JSON request body of at most maxBodyBytes.
func readJSON(r *http.Request, op string, v any) error {
	b, err := readBody(r.Body, maxBodyBytes, op)
	if err != nil {
		return err
	}
	return decodeJSON(b, v)
}
