package ferry

import (
	"strings"
	"testing"
)

func TestValidateMessageAttribute(t *testing.T) {
	str := func(v string) MessageAttribute { return MessageAttribute{DataType: "String", StringValue: v} }
	num := func(v string) MessageAttribute { return MessageAttribute{DataType: "Number", StringValue: v} }
	cases := []struct {
		name  string
		attr  MessageAttribute
		array bool   // SNS
		want  string // "" = valid, else a fragment of the error
	}{
		{"ok", str("x"), false, ""},
		{"ok.dotted-name_1", MessageAttribute{DataType: "Number.float", StringValue: "1.5"}, false, ""},
		{"b", MessageAttribute{DataType: "Binary", BinaryValue: []byte{0}}, false, ""},
		{"", str("x"), false, "1-256"},
		{strings.Repeat("a", 257), str("x"), false, "1-256"},
		{"AWS.trace", str("x"), true, "reserved prefix"},
		{"amazon.x", str("x"), false, "reserved prefix"},
		{".lead", str("x"), false, "period"},
		{"trail.", str("x"), false, "period"},
		{"two..dots", str("x"), false, "period"},
		{"sp ace", str("x"), false, "invalid character"},
		{"e", str(""), false, "must not be empty"},
		{"c", str("a\x00b"), true, "invalid character at byte 1"},
		// Both services refuse numbers that are not finite.
		{"n", num("NaN"), false, "not a valid number"},
		{"n", num("Inf"), true, "not a valid number"},
		{"n", num("-Infinity"), true, "not a valid number"},
		{"n", num("1e3"), true, ""},
		{"n", num("ten"), false, "not a valid number"},
		{"bin", MessageAttribute{DataType: "Binary"}, false, "must not be empty"},
		{"t", MessageAttribute{DataType: "Blob", StringValue: "x"}, false, "invalid DataType"},
		{"t", MessageAttribute{DataType: "String.", StringValue: "x"}, false, "empty custom suffix"},
		{"t", MessageAttribute{DataType: "String." + strings.Repeat("x", 256), StringValue: "x"}, false, "longer than 256"},
		// String.Array is SNS's alone.
		{"arr", MessageAttribute{DataType: "String.Array", StringValue: `["a",1,true,null]`}, true, ""},
		{"arr", MessageAttribute{DataType: "String.Array", StringValue: `["a",{"b":1}]`}, true, "elements must be"},
		{"arr", MessageAttribute{DataType: "String.Array", StringValue: `nope`}, true, "JSON array"},
	}
	for _, c := range cases {
		err := ValidateMessageAttribute(c.name, c.attr, c.array)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q %+v: unexpected error %v", c.name, c.attr, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || ErrorCode(err) != EINVALID):
			t.Errorf("%q %+v: error %v, want EINVALID naming %q", c.name, c.attr, err, c.want)
		}
	}
	// String.Array as SQS sees it: a custom String type, so its value is a plain string.
	if err := ValidateMessageAttribute("arr", MessageAttribute{DataType: "String.Array", StringValue: "nope"}, false); err != nil {
		t.Errorf("SQS String.Array custom type refused: %v", err)
	}
}
