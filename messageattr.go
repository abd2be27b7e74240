package ferry

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ValidateMessageAttribute checks one SQS or SNS message attribute as both
// services do: the name (1-256 of letters, digits, '_', '-', '.', no leading,
// trailing or doubled period, no AWS./Amazon. prefix), the data type (String,
// Number or Binary with an optional custom suffix; String.Array only where
// allowArray, as SNS has it) and a non-empty value of that type. Numbers are
// finite; strings hold only the characters SQS accepts. EINVALID names the
// attribute and the problem.
func ValidateMessageAttribute(name string, a MessageAttribute, allowArray bool) error {
	if name == "" || len(name) > 256 {
		return Errorf(EINVALID, "message attribute name %q must be 1-256 characters", name)
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return Errorf(EINVALID, "message attribute name %q uses a reserved prefix (AWS. or Amazon.)", name)
	}
	if name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, "..") {
		return Errorf(EINVALID, "message attribute name %q must not start or end with a period or contain two in a row", name)
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
		default:
			return Errorf(EINVALID, "message attribute name %q contains an invalid character %q (letters, digits, '_', '-' and '.' only)", name, r)
		}
	}
	if len(a.DataType) > 256 {
		return Errorf(EINVALID, "message attribute %q: DataType is longer than 256 characters", name)
	}
	base, custom, dotted := strings.Cut(a.DataType, ".")
	switch {
	case allowArray && a.DataType == "String.Array":
		return validateStringArray(name, a.StringValue)
	case base == "String" || base == "Number":
		if a.StringValue == "" {
			return Errorf(EINVALID, "message attribute %q: %s value must not be empty", name, a.DataType)
		}
		if i := InvalidMessageChar(a.StringValue); i >= 0 {
			return Errorf(EINVALID, "message attribute %q contains an invalid character at byte %d", name, i)
		}
		if base == "Number" {
			f, err := strconv.ParseFloat(a.StringValue, 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return Errorf(EINVALID, "message attribute %q: %q is not a valid number", name, a.StringValue)
			}
		}
	case base == "Binary":
		if len(a.BinaryValue) == 0 {
			return Errorf(EINVALID, "message attribute %q: Binary value must not be empty", name)
		}
	default:
		kinds := "String, Number or Binary"
		if allowArray {
			kinds = "String, String.Array, Number or Binary"
		}
		return Errorf(EINVALID, "message attribute %q has invalid DataType %q (%s, optionally with a .suffix)", name, a.DataType, kinds)
	}
	if dotted && custom == "" {
		return Errorf(EINVALID, "message attribute %q: data type %q has an empty custom suffix", name, a.DataType)
	}
	return nil
}

func validateStringArray(name, v string) error {
	var arr []any
	if err := json.Unmarshal([]byte(v), &arr); err != nil {
		return Errorf(EINVALID, "message attribute %q: String.Array value must be a JSON array", name)
	}
	for _, e := range arr {
		switch e.(type) {
		case string, float64, bool, nil:
		default:
			return Errorf(EINVALID, "message attribute %q: String.Array elements must be strings, numbers, booleans or null", name)
		}
	}
	return nil
}

// InvalidMessageChar returns the byte offset of the first character SQS and
// SNS refuse in a message (anything outside #x9, #xA, #xD, #x20-#xD7FF,
// #xE000-#xFFFD, #x10000-#x10FFFF, or invalid UTF-8), or -1.
func InvalidMessageChar(s string) int {
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return i
			}
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return i
		}
	}
	return -1
}
