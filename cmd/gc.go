package cmd

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// minHeapGoal is the smallest heap goal TuneGC lets the collector work to.
// With Go's defaults (GOGC=100, which floors the goal at 4 MiB), a
// 100-document release of ~0.3 MB (hack/bench gen -docs 100) goes through
// 2 collections, which cost ~5 ms of a ~33 ms run, while its live heap
// stays under 2 MiB; with a 16 MiB floor it goes through none.
const minHeapGoal = 16 << 20

// liveHeapMetric is the live heap as of the last collection.
const liveHeapMetric = "/gc/heap/live:bytes"

// TuneGC raises the collector's heap goal to minHeapGoal while the live
// heap is small, and leaves it at Go's default, twice the live heap, once
// that is larger: the heap goal is max(minHeapGoal, what GOGC=100 gives), so
// large streams keep today's memory profile and small ones, the common case
// of a Helm post-renderer, skip most collections. Output does not change.
// Nothing is tuned when GOGC or GOMEMLIMIT is set: the user's settings win.
func TuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	t := &gcTuner{percent: gcPercentFor(0)}
	debug.SetGCPercent(t.percent)
	t.sample = []metrics.Sample{{Name: liveHeapMetric}}
	t.arm()
}

// gcPercentFor returns the GOGC for a live heap of live bytes (0: not
// known yet, as before the first collection): the largest of 400, 200 and
// 100 whose heap goal, live*(1+GOGC/100), stays within minHeapGoal, and 100
// when none does. At 400 the runtime's own floor, 4 MiB*GOGC/100, is
// minHeapGoal too. Coarse steps, so that SetGCPercent (which recomputes
// the pacer's goal under the heap lock) runs only when the live heap
// crosses a step.
func gcPercentFor(live uint64) int {
	switch {
	case live*5 <= minHeapGoal:
		return 400
	case live*3 <= minHeapGoal:
		return 200
	default:
		return 100
	}
}

// gcTuner re-reads the live heap after every collection: a finalizer on an
// unreachable sentinel runs once per cycle and sets a new sentinel. The
// finalizer runs shortly after the cycle ends (once the sentinel's span is
// swept), so for that moment the goal is the one the previous GOGC gave.
type gcTuner struct {
	percent int
	sample  []metrics.Sample
}

// gcSentinel is 16 bytes so that it is not a tiny allocation, whose
// finalizer could be held back by the other objects in its block.
type gcSentinel struct{ _ [16]byte }

func (t *gcTuner) arm() {
	runtime.SetFinalizer(new(gcSentinel), func(*gcSentinel) { t.retune() })
}

func (t *gcTuner) retune() {
	metrics.Read(t.sample)
	if t.sample[0].Value.Kind() == metrics.KindUint64 {
		if p := gcPercentFor(t.sample[0].Value.Uint64()); p != t.percent {
			t.percent = p
			debug.SetGCPercent(p)
		}
	}
	t.arm()
}
