package ferry

import (
	"strconv"
	"strings"
)

// Runtime families Ferry runs.
const (
	RuntimeFamilyProvided = "provided" // provided, provided.al2, provided.al2023: an executable bootstrap
	RuntimeFamilyNode     = "nodejs"   // nodejs18.x, nodejs20.x, ...: Ferry's Node.js bootstrap
	RuntimeFamilyPython   = "python"   // python3.9 ... python3.13: Ferry's Python bootstrap
)

// RuntimeFamily returns the family of a Lambda runtime identifier, or an
// EINVALID error naming the runtimes Ferry supports.
func RuntimeFamily(rt string) (string, error) {
	switch rt {
	case "provided", "provided.al2", "provided.al2023":
		return RuntimeFamilyProvided, nil
	case "python3.9", "python3.10", "python3.11", "python3.12", "python3.13":
		return RuntimeFamilyPython, nil
	}
	if v, ok := strings.CutPrefix(rt, "nodejs"); ok {
		if v, ok = strings.CutSuffix(v, ".x"); ok {
			if _, err := strconv.Atoi(v); err == nil {
				return RuntimeFamilyNode, nil
			}
		}
	}
	return "", Errorf(EINVALID, "runtime %q is not supported by Ferry (provided, provided.al2, provided.al2023, nodejs18.x and later, python3.9 to python3.13)", rt)
}

// Runnable returns nil when Ferry runs f's runtime, else an ERUNTIME error
// naming the function and its runtime. A stack may hold such a function (the
// others start with a warning); invoking it answers this error.
func (f *Function) Runnable() error {
	if _, err := RuntimeFamily(f.Runtime); err != nil {
		return Errorf(ERUNTIME, "function %s cannot run: %s", f.Name, ErrorMessage(err))
	}
	return nil
}

// validRuntimeID reports whether rt looks like a Lambda runtime identifier
// (1-64 letters, digits, '.', '-' and '_'), supported or not.
func validRuntimeID(rt string) bool {
	if len(rt) == 0 || len(rt) > 64 {
		return false
	}
	for _, r := range rt {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}
