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
