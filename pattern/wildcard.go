package pattern

import (
	"errors"
	"strings"
)

// wildcard is a compiled "*" pattern: the literal pieces between stars.
type wildcard struct {
	parts []string // len(parts) == stars+1
}

func compileWildcard(s string) (*wildcard, error) {
	w := &wildcard{}
	var cur strings.Builder
	prevStar := false
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return nil, errors.New(`a backslash must escape "*" or "\"`)
			}
			i++
			cur.WriteByte(s[i])
			prevStar = false
		case '*':
			if prevStar {
				return nil, errors.New("consecutive wildcard characters are not allowed")
			}
			w.parts = append(w.parts, cur.String())
			cur.Reset()
			prevStar = true
		default:
			cur.WriteByte(ch)
			prevStar = false
		}
	}
	w.parts = append(w.parts, cur.String())
	return w, nil
}

func (w *wildcard) match(s string) bool {
	if len(w.parts) == 1 {
		return s == w.parts[0]
	}
	first, last := w.parts[0], w.parts[len(w.parts)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	mid := s[len(first) : len(s)-len(last)]
	for _, p := range w.parts[1 : len(w.parts)-1] {
		i := strings.Index(mid, p)
		if i < 0 {
			return false
		}
		mid = mid[i+len(p):]
	}
	return true
}
