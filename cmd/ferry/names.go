package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// functionName resolves a function given by the short name a stack file
// uses ("processPayment" for "payments-dev-processPayment"): a function of
// that exact name wins; otherwise the one function whose name ends in
// "-"+name. An ARN is passed on for the server to answer. A name that
// matches no function, or several, is an error listing the near matches.
func (f *clientFlags) functionName(ctx context.Context, name string) (string, error) {
	if strings.Contains(name, ":") {
		return name, nil
	}
	var all []string
	p := lambda.NewListFunctionsPaginator(f.lambda(), &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, fn := range page.Functions {
			all = append(all, aws.ToString(fn.FunctionName))
		}
	}
	var match []string
	for _, n := range all {
		if n == name {
			return n, nil
		}
		if strings.HasSuffix(n, "-"+name) {
			match = append(match, n)
		}
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return "", fmt.Errorf("ResourceNotFoundException: no function %q%s", name, nearList(name, all))
	}
	sort.Strings(match)
	return "", fmt.Errorf("function %q is ambiguous: it could be %s", name, strings.Join(match, ", "))
}

// nearList is ", did you mean: a, b" naming the names near name, or the
// known names when there are few, or "" when there are none.
func nearList(name string, all []string) string {
	if len(all) == 0 {
		return " (there are no functions)"
	}
	var near []string
	lname := strings.ToLower(name)
	for _, n := range all {
		ln := strings.ToLower(n)
		short := ln[strings.LastIndex(ln, "-")+1:]
		if strings.Contains(ln, lname) || len(short) >= 3 && strings.Contains(lname, short) || editDistance(lname, short) <= 1+len(short)/4 || editDistance(lname, ln) <= 2 {
			near = append(near, n)
		}
	}
	sort.Strings(near)
	if len(near) > 0 {
		return "; did you mean: " + strings.Join(near, ", ")
	}
	if len(all) <= 10 {
		sort.Strings(all)
		return "; functions: " + strings.Join(all, ", ")
	}
	return ""
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
