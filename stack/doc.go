// Package stack owns reading a stack folder: a Serverless Framework
// serverless.yml or an AWS SAM template.yaml is decoded, its variables and
// CloudFormation intrinsics are resolved, and the result is a Stack of plain
// data that cmd/ferry turns into functions, queues, topics, buses and routes.
package stack

import _ "go.yaml.in/yaml/v3"
