package async

import (
	"reflect"
	"testing"
)

// Restore adds every counter: a field added to Counters but not to plus
// would be lost across restarts.
func TestStatsRestoreAddsEveryCounter(t *testing.T) {
	t.Parallel()
	var one Counters
	v := reflect.ValueOf(&one).Elem()
	for i := range v.NumField() {
		v.Field(i).SetInt(int64(i + 1))
	}
	s := newStats()
	s.add("f", func(c *Counters) { c.plus(one) })
	s.addDelivery("f", "OnFailure", "arn:q")
	counters, deliveries := s.Snapshot()

	restored := newStats()
	restored.Restore(counters, deliveries)
	restored.Restore(counters, deliveries)
	got := reflect.ValueOf(restored.Get("f"))
	for i := range got.NumField() {
		if want := int64(2 * (i + 1)); got.Field(i).Int() != want {
			t.Errorf("%s = %d after restoring twice, want %d", got.Type().Field(i).Name, got.Field(i).Int(), want)
		}
	}
	if n := restored.Delivered("f", "OnFailure", "arn:q"); n != 2 {
		t.Errorf("deliveries %d after restoring twice, want 2", n)
	}
}
