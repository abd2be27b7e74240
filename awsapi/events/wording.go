package eventsapi

import "regexp"

// awsWording rewrites the bus service's not-found messages into the words
// EventBridge uses, which tools match on.
var awsWording = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`^rule "(.*)" does not exist on event bus "(.*)"$`), "Rule $1 does not exist on EventBus $2."},
	{regexp.MustCompile(`^event bus "(.*)" does not exist$`), "Event bus $1 does not exist."},
	{regexp.MustCompile(`^archive "(.*)" does not exist$`), "Archive $1 does not exist."},
	{regexp.MustCompile(`^replay "(.*)" does not exist$`), "Replay $1 does not exist."},
}

func reword(msg string) string {
	for _, w := range awsWording {
		if w.re.MatchString(msg) {
			return w.re.ReplaceAllString(msg, w.repl)
		}
	}
	return msg
}
