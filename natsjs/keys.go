package natsjs

import (
	"strings"
	"unicode/utf8"

	"github.com/ferry-run/ferry"
)

// Limits on the subjects and keys Ferry builds from names and ids. The
// server closes a connection whose protocol line passes 4 KiB ("maximum
// control line exceeded"), so anything near that must never be sent: the
// APIs check AWS's (much smaller) limits first, and these checks are the
// last line before the engine.
const (
	MaxToken   = 512  // one subject token or key part
	MaxSubject = 1024 // a whole subject or key
)

// CheckToken returns an EINVALID error unless s can be one token of a
// subject: 1-MaxToken bytes of valid UTF-8 without '.', '*', '>',
// whitespace or control characters.
func CheckToken(what, s string) error {
	if s == "" {
		return ferry.Errorf(ferry.EINVALID, "%s is empty", what)
	}
	if len(s) > MaxToken {
		return ferry.Errorf(ferry.EINVALID, "%s %s is longer than %d bytes", what, ferry.Shorten(s), MaxToken)
	}
	if !utf8.ValidString(s) {
		return ferry.Errorf(ferry.EINVALID, "%s %s is not valid UTF-8", what, ferry.Shorten(s))
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '.' || r == '*' || r == '>' || r == 0x85 || r == 0xa0 || r == 0x2028 || r == 0x2029 {
			return ferry.Errorf(ferry.EINVALID, "%s %s holds %q, which a subject token cannot", what, ferry.Shorten(s), r)
		}
	}
	return nil
}

// CheckSubject returns an EINVALID error unless subj is a publishable
// subject: at most MaxSubject bytes of dot-separated valid tokens.
func CheckSubject(what, subj string) error {
	if len(subj) > MaxSubject {
		return ferry.Errorf(ferry.EINVALID, "%s subject %s is longer than %d bytes", what, ferry.Shorten(subj), MaxSubject)
	}
	for _, tok := range strings.Split(subj, ".") {
		if err := CheckToken(what, tok); err != nil {
			return err
		}
	}
	return nil
}

// CheckKey returns an EINVALID error unless key is a valid key-value key
// or object name part: 1-MaxSubject bytes of [-/_=.a-zA-Z0-9], not
// starting or ending with '.' and without empty dot-separated parts.
func CheckKey(what, key string) error {
	if key == "" {
		return ferry.Errorf(ferry.EINVALID, "%s is empty", what)
	}
	if len(key) > MaxSubject {
		return ferry.Errorf(ferry.EINVALID, "%s %s is longer than %d bytes", what, ferry.Shorten(key), MaxSubject)
	}
	if !ferry.ValidChars(key, MaxSubject, "-/_=.") {
		return ferry.Errorf(ferry.EINVALID, "%s %s may hold only letters, digits and -/_=.", what, ferry.Shorten(key))
	}
	if key[0] == '.' || key[len(key)-1] == '.' || strings.Contains(key, "..") {
		return ferry.Errorf(ferry.EINVALID, "%s %s has an empty part between dots", what, ferry.Shorten(key))
	}
	return nil
}
