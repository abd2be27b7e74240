package snsapi

import (
	"encoding/base64"
	"slices"
	"strings"
)

// pageSize is how many items SNS returns per List call.
const pageSize = 100

// page returns the items after the one token names and the token of the
// next page ("" on the last). items must be sorted by key; a token is the
// key of the last item returned, so deletions between calls skip nothing.
func page[T any](items []T, key func(T) string, token string) ([]T, string, error) {
	start := 0
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(b) == 0 {
			return nil, "", invalidParameter("NextToken %q is not valid", token)
		}
		after := string(b)
		start, _ = slices.BinarySearchFunc(items, after, func(it T, k string) int { return strings.Compare(key(it), k) })
		if start < len(items) && key(items[start]) == after {
			start++
		}
	}
	end := min(start+pageSize, len(items))
	out := items[start:end]
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(items[end-1])))
	}
	return out, next, nil
}
