package pattern

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkMatch1000Rules matches one event against 1,000 compiled rules, as
// a bus with 1,000 rules does for every event.
func BenchmarkMatch1000Rules(b *testing.B) {
	rules := make([]*Pattern, 0, 1000)
	for i := range 1000 {
		src := fmt.Sprintf(`{"source":["svc.%d","svc.shop"],"detail-type":[{"prefix":"Order"}],
			"detail":{"amount":[{"numeric":[">",%d]}],"tier":[{"anything-but":["bronze"]}],"id":[{"wildcard":"ord-*-%d"}]}}`, i%50, i, i%10)
		p, err := Compile([]byte(src))
		if err != nil {
			b.Fatal(err)
		}
		rules = append(rules, p)
	}
	ev := []byte(`{"version":"0","id":"x","source":"svc.shop","detail-type":"Order Placed","account":"0","time":"t","region":"r",
		"resources":[],"detail":{"amount":500,"tier":"gold","id":"ord-123-7","lines":[{"sku":"a"},{"sku":"b"}]}}`)
	var v any
	if err := json.Unmarshal(ev, &v); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	matched := 0
	for b.Loop() {
		for _, p := range rules {
			if p.MatchValue(v) {
				matched++
			}
		}
	}
	b.StopTimer()
	if matched == 0 {
		b.Fatal("no rule matched")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
