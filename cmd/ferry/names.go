package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
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
	return pickName(name, all, "ResourceNotFoundException", "function", "functions")
}

// nearList is ", did you mean: a, b" naming the names near name, or the
// known names (noun: "functions", "queues", ...) when there are few.
func nearList(name string, all []string, noun string) string {
	if len(all) == 0 {
		return " (there are no " + noun + ")"
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
		return "; " + noun + ": " + strings.Join(all, ", ")
	}
	return ""
}

// pickName resolves name among all as functionName does: the exact name,
// else the one name ending in "-"+name; otherwise an error of code (the
// AWS error code a missing one has) naming the near matches.
func pickName(name string, all []string, code, kind, noun string) (string, error) {
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
		return "", fmt.Errorf("%s: no %s %q%s", code, kind, name, nearList(name, all, noun))
	}
	sort.Strings(match)
	return "", fmt.Errorf("%s %q is ambiguous: it could be %s", kind, name, strings.Join(match, ", "))
}

// queueURL resolves a queue given by URL, name or short name; an unknown
// one is an error naming the near matches.
func (f *clientFlags) queueURL(ctx context.Context, name string) (string, error) {
	if strings.Contains(name, "://") {
		return name, nil
	}
	var all []string
	p := sqs.NewListQueuesPaginator(f.sqs(), &sqs.ListQueuesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, u := range page.QueueUrls {
			all = append(all, u[strings.LastIndex(u, "/")+1:])
		}
	}
	q, err := pickName(name, all, "QueueDoesNotExist", "queue", "queues")
	if err != nil {
		return "", err
	}
	out, err := f.sqs().GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(q)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.QueueUrl), nil
}

// topicName resolves a topic given by ARN, name or short name; an unknown
// one is an error naming the near matches.
func (f *clientFlags) topicName(ctx context.Context, name string) (string, error) {
	if strings.HasPrefix(name, "arn:") {
		return name, nil
	}
	var all []string
	p := sns.NewListTopicsPaginator(f.sns(), &sns.ListTopicsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, t := range page.Topics {
			arn := aws.ToString(t.TopicArn)
			all = append(all, arn[strings.LastIndex(arn, ":")+1:])
		}
	}
	t, err := pickName(name, all, "NotFound", "topic", "topics")
	if err != nil {
		return "", err
	}
	return f.topicARN(t), nil
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
