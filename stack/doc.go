// Package stack owns reading a stack folder: a Serverless Framework
// serverless.yml (v3/v4) or an AWS SAM template.yaml is decoded into
// yaml.Node trees (keeping !Ref/!GetAtt/!Sub/!Join short tags and positions),
// its variables (${self:}, ${opt:}, ${sls:stage}, ${env:}, ${aws:},
// #{AWS::...}) and CloudFormation intrinsics (Ref, Fn::GetAtt, Fn::Sub,
// Fn::Join, Fn::Select, Fn::Split) are resolved, and the result is a Stack of
// plain data with every ARN built in the stack's realm.
//
// Every key Ferry does not honour is reported as a Warning naming the key and
// its file:line:col, except keys with no effect on a local runtime, which are
// accepted deliberately: IAM roles and statements, resource policies and
// permissions, tags, deployment buckets and log retention. Resources without
// a name property are named after their logical id.
package stack
