package pattern

import "math"

// quantize5 rounds f to five digits after the decimal point: SNS matches
// filter policy numbers "with five digits of accuracy after the decimal
// point" (values within ±1e9), so 0.000001 and 0.000004 are both 0 there.
// EventBridge patterns compare full float64 values.
func quantize5(f float64) float64 {
	return math.Round(f*1e5) / 1e5
}
