package ferry

import (
	"strings"
	"unicode"
)

// MaxHandlerLength is Lambda's limit on a Handler.
const MaxHandlerLength = 128

// ValidateHandler checks a function's Handler: at most 128 characters
// without spaces, and a path relative to the code folder (no leading '/',
// no '\', no ".." component), so the code it names is inside the function's
// folder. Whether the module and export exist is the runtime's business
// (Runtime.MalformedHandlerName, Runtime.ImportModuleError), as in Lambda.
// Errors are EINVALID.
func ValidateHandler(handler string) error {
	if len(handler) > MaxHandlerLength {
		return Errorf(EINVALID, "Handler must be at most %d characters, got %d", MaxHandlerLength, len(handler))
	}
	if strings.IndexFunc(handler, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return Errorf(EINVALID, "Handler %q must not contain spaces or control characters", handler)
	}
	if strings.HasPrefix(handler, "/") || strings.Contains(handler, `\`) {
		return Errorf(EINVALID, "Handler %q must be a path relative to the function's code folder", handler)
	}
	for _, part := range strings.Split(handler, "/") {
		if part == ".." {
			return Errorf(EINVALID, "Handler %q must not leave the function's code folder (..)", handler)
		}
	}
	return nil
}
