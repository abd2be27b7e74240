package sandbox

// endpointVars are the variables the AWS SDKs (Go v2, JavaScript v3, Python
// boto3, Java v2) read for a service's endpoint: AWS_ENDPOINT_URL for every
// service and AWS_ENDPOINT_URL_<SERVICE ID> for one service.
var endpointVars = []string{
	"AWS_ENDPOINT_URL",
	"AWS_ENDPOINT_URL_SQS",
	"AWS_ENDPOINT_URL_SNS",
	"AWS_ENDPOINT_URL_EVENTBRIDGE",
	"AWS_ENDPOINT_URL_LAMBDA",
}

// awsEnv points an instance's AWS SDKs at Ferry's API port and gives them the
// function's credentials.
func (p *Pool) awsEnv(env map[string]string, function string) {
	if p.opts.APIEndpoint != "" {
		for _, k := range endpointVars {
			env[k] = p.opts.APIEndpoint
		}
	}
	if p.opts.Credentials != nil {
		id, secret := p.opts.Credentials(function)
		env["AWS_ACCESS_KEY_ID"] = id
		env["AWS_SECRET_ACCESS_KEY"] = secret
		delete(env, "AWS_SESSION_TOKEN")
	}
}
