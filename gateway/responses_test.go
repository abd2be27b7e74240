package gateway

import "testing"

// TestSelectResponse: integration responses are chosen as API Gateway
// chooses them: a selection pattern matches the whole status code, the
// first match wins, the entry without a pattern is the default.
func TestSelectResponse(t *testing.T) {
	t.Parallel()
	rs, err := compileResponses([]IntegrationResponse{
		{StatusCode: 202, SelectionPattern: `2\d{2}`},
		{StatusCode: 400, SelectionPattern: `4\d{2}`},
		{StatusCode: 418, SelectionPattern: `404`},
		{StatusCode: 500},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ status, want int }{{200, 202}, {403, 400}, {404, 400}, {500, 500}, {302, 500}, {2000, 500}} {
		if got := selectResponse(rs, tt.status); got == nil || got.StatusCode != tt.want {
			t.Errorf("status %d selects %+v, want %d", tt.status, got, tt.want)
		}
	}
	noDefault, err := compileResponses([]IntegrationResponse{{StatusCode: 200, SelectionPattern: "200"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := selectResponse(noDefault, 500); got != nil {
		t.Errorf("without a default, 500 selects %+v", got)
	}
	for _, bad := range []IntegrationResponse{{StatusCode: 99}, {StatusCode: 200, SelectionPattern: "("}, {StatusCode: 200, Template: "#if("}} {
		if _, err := compileResponses([]IntegrationResponse{bad}); err == nil {
			t.Errorf("compileResponses(%+v) accepted it", bad)
		}
	}
}
