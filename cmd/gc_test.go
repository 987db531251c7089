package cmd

import (
	"runtime/debug"
	"testing"
)

func TestGCPercentFor(t *testing.T) {
	for _, tt := range []struct {
		live uint64
		want int
	}{
		{0, 400},
		{1 << 20, 400},
		{minHeapGoal / 5, 400},
		{minHeapGoal/5 + 1, 200},
		{minHeapGoal / 3, 200},
		{minHeapGoal/3 + 1, 100},
		{1 << 30, 100},
	} {
		if got := gcPercentFor(tt.live); got != tt.want {
			t.Errorf("gcPercentFor(%d) = %d, want %d", tt.live, got, tt.want)
		}
	}
	// The heap goal never exceeds both the floor and Go's default goal.
	for live := uint64(1); live < 64<<20; live += 4093 {
		p := uint64(gcPercentFor(live))
		if goal := live * (100 + p) / 100; goal > max(minHeapGoal, 2*live) {
			t.Fatalf("live %d: GOGC=%d gives a heap goal of %d", live, p, goal)
		}
	}
}

func TestTuneGCLeavesUserSettings(t *testing.T) {
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, "100")
			old := debug.SetGCPercent(123)
			defer debug.SetGCPercent(old)
			TuneGC()
			if got := debug.SetGCPercent(old); got != 123 {
				t.Errorf("with %s set, TuneGC changed GOGC to %d", env, got)
			}
		})
	}
}
