package lambdaapi

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/trigger"
)

func FuzzDecodeInvoke(f *testing.F) {
	f.Add("pay", "", "", "", "", []byte(`{"a":1}`))
	f.Add("arn:aws:lambda:us-east-1:000000000000:function:pay:$LATEST", "$LATEST", "Event", "Tail", "e30=", []byte(""))
	f.Add("000000000000:function:pay", "1", "DryRun", "None", "!!", []byte(`{`))
	f.Add("a:b:c", "x", "Bogus", "Bogus", "", []byte(`[]`))
	f.Fuzz(func(t *testing.T, name, qualifier, typ, logType, cc string, body []byte) {
		h := http.Header{}
		h.Set(hdrInvocationType, typ)
		h.Set(hdrLogType, logType)
		h.Set(hdrClientContext, cc)
		in, err := decodeInvoke(ferry.DefaultRealm, name, qualifier, h, bytes.NewReader(body))
		if err != nil {
			if ferry.ErrorCode(err) == ferry.EINTERNAL {
				t.Fatalf("decode error without a code: %v", err)
			}
			return
		}
		if !json.Valid(in.Payload) {
			t.Fatalf("accepted payload is not JSON: %q", in.Payload)
		}
		if !validFunctionName(in.Ref.Name) || (in.Ref.Qualifier != "" && in.Ref.Qualifier != ferry.LatestVersion) {
			t.Fatalf("accepted ref %+v", in.Ref)
		}
		switch in.Type {
		case ferry.InvokeRequestResponse, ferry.InvokeEvent, ferry.InvokeDryRun:
		default:
			t.Fatalf("accepted invocation type %q", in.Type)
		}
	})
}

func FuzzDecodeEventInvokeConfig(f *testing.F) {
	f.Add([]byte(`{"MaximumRetryAttempts":1,"MaximumEventAgeInSeconds":60,"DestinationConfig":{"OnSuccess":{"Destination":"arn:aws:sqs:us-east-1:000000000000:q"}}}`))
	f.Add([]byte(`{"MaximumRetryAttempts":3}`))
	f.Add([]byte(`{"DestinationConfig":{"OnFailure":{"Destination":"arn:aws:s3:::b"},"OnSuccess":{}}}`))
	f.Add([]byte(`{"DestinationConfig":null}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := decodeEventInvokeConfig(b)
		if err != nil {
			return
		}
		for _, replace := range []bool{true, false} {
			c := applyEventInvokeConfig(ferry.AsyncConfig{}, in, replace)
			if err := c.Validate(); err != nil {
				t.Fatalf("accepted config fails validation: %v (%s)", err, b)
			}
			if !hasEventInvokeConfig(c) {
				t.Fatalf("applied config is not marked present: %+v", c)
			}
		}
	})
}

func FuzzDecodeCreateFunction(f *testing.F) {
	f.Add([]byte(`{"FunctionName":"f","Runtime":"nodejs20.x","Handler":"index.handler","Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},"MemorySize":128,"Timeout":3}`))
	f.Add([]byte(`{"FunctionName":"f","Runtime":"java21","Code":{}}`))
	f.Add([]byte(`{"FunctionName":"f","Runtime":"provided.al2023","Code":{"ZipFile":"AA=="},"Environment":{"Variables":{"AWS_REGION":"x"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := decodeCreateFunction(b)
		if err != nil {
			return
		}
		fn := &ferry.Function{Name: in.FunctionName}
		in.functionSettings.apply(fn)
		if err := fn.Validate(); err != nil {
			t.Fatalf("accepted function fails validation: %v (%s)", err, b)
		}
	})
}

func FuzzUnpackZip(f *testing.F) {
	for _, entries := range [][][2]string{
		{{"bootstrap", "#!/bin/sh"}, {"lib/a.js", "x"}},
		{{"../evil", "x"}},
		{{"dir/", ""}, {"dir/../../x", "y"}},
		{{"a", "1"}, {"a", "2"}},
	} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, e := range entries {
			w, _ := zw.Create(e[0])
			w.Write([]byte(e[1]))
		}
		zw.Close()
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "code")
		_ = unpackZip(b, dir)
		err := filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != parent && p != dir && !strings.HasPrefix(p, dir+string(filepath.Separator)) {
				t.Fatalf("unpack wrote outside its directory: %s", p)
			}
			if d.Type()&fs.ModeSymlink != 0 {
				target, err := filepath.EvalSymlinks(p)
				if err == nil && !strings.HasPrefix(target, dir+string(filepath.Separator)) {
					t.Fatalf("symlink %s leads outside: %s", p, target)
				}
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	})
}

func FuzzParseFunctionName(f *testing.F) {
	for _, s := range []string{"f", "f:$LATEST", "arn:aws:lambda:r:a:function:f", "a:function:f:1", ":", "arn:aws:sqs:r:a:q", ""} {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, raw, q string) {
		ref, err := parseFunctionName(ferry.DefaultRealm, raw, q)
		if err == nil && !validFunctionName(ref.Name) {
			t.Fatalf("accepted name %q from %q", ref.Name, raw)
		}
	})
}

func FuzzDecodeESM(f *testing.F) {
	f.Add([]byte(`{"EventSourceArn":"arn:aws:sqs:us-east-1:000000000000:q","FunctionName":"f","BatchSize":5,"FunctionResponseTypes":["ReportBatchItemFailures"],"ScalingConfig":{"MaximumConcurrency":2}}`), false)
	f.Add([]byte(`{"FilterCriteria":{"Filters":[]},"BatchSize":0}`), false)
	f.Add([]byte(`{"EventSourceArn":null,"ScalingConfig":{},"Enabled":false}`), true)
	f.Add([]byte(`{"BatchSize":-3,"MaximumBatchingWindowInSeconds":1e9}`), true)
	f.Add([]byte(`[1]`), false)
	f.Fuzz(func(t *testing.T, b []byte, update bool) {
		in, err := decodeESM(b, update)
		if err != nil {
			if ferry.ErrorCode(err) == ferry.EINTERNAL {
				t.Fatalf("decode error without a code: %v", err)
			}
			return
		}
		if update && in.EventSourceArn != nil {
			t.Fatalf("update accepted EventSourceArn %q", *in.EventSourceArn)
		}
		if n := in.BatchSize; n != nil && *n < 1 {
			t.Fatalf("accepted BatchSize %d", *n)
		}
		var m trigger.Mapping
		if err := in.apply(ferry.DefaultRealm, &m); err == nil && in.FunctionName != nil && !validFunctionName(m.Function) {
			t.Fatalf("applied function name %q from %q", m.Function, *in.FunctionName)
		}
		if c := m.MaximumConcurrency; c != 0 && c < trigger.MinConcurrency {
			t.Fatalf("applied MaximumConcurrency %d", c)
		}
	})
}
