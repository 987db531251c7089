package generator

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/blockyaml"
	"github.com/debug-overlay/debug-overlay/internal/podedit"
	"github.com/debug-overlay/debug-overlay/internal/stream"
)

// run is the state of one pass 2, whichever driver runs it (Render, Check,
// the KRM function) and whichever filter its mode chose: what the
// configuration asked and what the stream had of it, and the report.
type run struct {
	cfg      overlay.Config
	kinds    overlay.KindTable
	overlay  *overlay.Overlay
	report   *Report
	opts     runOptions
	matched  []bool          // per target
	skipped  [][]string      // per target: workloads it matches that opted out or are hooks
	copySeen map[string]bool // copy volumes found in selected workloads
	seen     []string        // workloads in the stream, for messages
	errs     []error
	doc      blockyaml.Doc // reused for every document
	scratch  []byte        // reused by the splice editor's projection
	cache    podedit.Cache
	helm4    bool // with includeHooks: a document Helm 4 sent was seen
	hooks    bool // with includeHooks: a Helm hook was seen
}

// runOptions are the roads tests make a run take.
type runOptions struct {
	treeOnly  bool // no splicing: every workload goes through yaml.v3
	rerunAnew bool // no keeping the bytes of a document overlaid again
	// items: the run overlays KRM items, not a stream's documents (for
	// messages).
	items bool
}

// newRun starts pass 2 with report's configuration, which is valid.
func newRun(report *Report, opts runOptions) (*run, error) {
	o, err := overlay.New(report.Config)
	if err != nil {
		return nil, err
	}
	return &run{
		cfg:      report.Config,
		kinds:    overlay.NewKindTable(report.Config.Kinds),
		overlay:  o,
		report:   report,
		opts:     opts,
		matched:  make([]bool, len(report.Config.Targets)),
		skipped:  make([][]string, len(report.Config.Targets)),
		copySeen: map[string]bool{},
	}, nil
}

// fail records an error of the run and returns how many there are.
func (st *run) fail(err error) int {
	st.errs = append(st.errs, err)
	return len(st.errs)
}

// finish reports the errors of the run, and a warning when it overlaid nothing.
func (st *run) finish() error {
	st.checkCoverage()
	if len(st.errs) > 0 {
		return errors.Join(st.errs...)
	}
	if len(st.report.Workloads) == 0 {
		st.report.Findings = append(st.report.Findings, Finding{Message: "the overlay is enabled but no workload in the stream was selected"})
	}
	if st.helm4 && !st.hooks {
		// Helm 4's CLI post-renders hooks with the rest (combined); a
		// program on its SDK may not (separate, no-hooks strategies).
		st.report.Findings = append(st.report.Findings, Finding{Message: "includeHooks is set, but Helm sent no hooks with the configuration: " +
			"a Helm 4 SDK program using PostRenderStrategySeparate or NoHooks post-renders hooks apart from (or without) the chart's DebugOverlay document, " +
			"so no hook is overlaid; give the post-renderer its configuration directly"})
	}
	return nil
}

// pass runs one document of a stream through the filter and returns the
// bytes to write. A document overlaid before, which this run gives the
// same object again, keeps its bytes: a second run changes nothing,
// whichever road either run took (the tree road writes yaml.v3's layout,
// which splicing into it again need not reproduce).
func (st *run) pass(f filter, e entry, raw []byte) ([]byte, error) {
	if *st.cfg.IncludeHooks {
		st.helm4 = st.helm4 || bytes.Contains(raw, helm4Marker)
		st.hooks = st.hooks || bytes.Contains(raw, hookMarker)
	}
	out, err := f.document(e, raw)
	if err != nil || st.opts.rerunAnew || bytes.Equal(out, raw) || !bytes.Contains(raw, statusMarker) {
		return out, err
	}
	_, before := stream.SplitPreamble(raw)
	if _, after := stream.SplitPreamble(out); sameObject(before, after) {
		return raw, nil
	}
	return out, nil
}

// statusMarker is how a cheap look tells a document overlaid before;
// helm4Marker one that Helm 4 sent, hookMarker a Helm hook.
var (
	statusMarker = []byte(overlay.StatusAnnotation)
	helm4Marker  = []byte(helm4FilenameAnnotation + ":")
	hookMarker   = []byte(overlay.HookAnnotation)
	twinMarker   = []byte(overlay.TwinOfAnnotation)
)

// sameObject reports whether two documents' bodies hold the same object, as
// Kubernetes reads them.
func sameObject(x, y []byte) bool {
	var a, b any
	if sigsyaml.Unmarshal(x, &a) != nil || sigsyaml.Unmarshal(y, &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// workloadKind reads, from a document's header, whether it is a workload
// the overlay knows; an error for documents the overlay refuses.
func (st *run) workloadKind(e entry) (overlay.WorkloadKind, bool, error) {
	switch {
	case e.h.Empty:
		return overlay.WorkloadKind{}, false, nil
	case e.parseErr != nil:
		return overlay.WorkloadKind{}, false, docErr(e, "", "", e.parseErr)
	case e.h.Kind == "":
		return overlay.WorkloadKind{}, false, docErr(e, "", "", errors.New("not a Kubernetes object: no kind"))
	case e.h.Kind == "List" || strings.HasSuffix(e.h.Kind, "List") && overlay.GroupOf(e.h.APIVersion) == "":
		if st.opts.items {
			return overlay.WorkloadKind{}, false, docErr(e, "", "", fmt.Errorf("%s items are not supported: the overlay cannot see the workloads inside; pass the objects as items", e.h.Kind))
		}
		return overlay.WorkloadKind{}, false, docErr(e, "", "", fmt.Errorf("%s documents are not supported: the overlay cannot see the workloads inside; render the items as separate documents", e.h.Kind))
	}
	wk, ok := st.kinds.Lookup(e.h.APIVersion, e.h.Kind)
	return wk, ok, nil
}

// noteSkipped remembers, for the targets that match a workload which is not
// selected all the same, why: "matched no workload" would be wrong.
func (st *run) noteSkipped(meta overlay.Meta, why string) {
	switch inject, set := meta.Inject(); {
	case why != "":
	case set && !inject:
		why = "opted out with " + overlay.InjectAnnotation + `: "false"`
	default:
		why = "a Helm hook; set includeHooks (--include-hooks)"
	}
	for i, t := range st.cfg.Targets {
		if t.Matches(meta) {
			st.skipped[i] = append(st.skipped[i], fmt.Sprintf("%s/%s (%s)", strings.ToLower(meta.Kind), meta.Name, why))
		}
	}
}

// checkCoverage turns targets and copy volumes that matched nothing into
// errors: the user asked for something the release does not have.
func (st *run) checkCoverage() {
	seen := strings.Join(st.seen, ", ")
	if seen == "" {
		seen = "none"
	}
	for i, ok := range st.matched {
		if !ok && len(st.skipped[i]) > 0 {
			st.errs = append(st.errs, fmt.Errorf("spec.targets[%d]: target %s matched only workloads that are not overlaid: %s",
				i, st.cfg.Targets[i], strings.Join(st.skipped[i], ", ")))
		} else if !ok {
			st.errs = append(st.errs, fmt.Errorf("spec.targets[%d]: target %s matched no workload (workloads in the stream: %s)",
				i, st.cfg.Targets[i], seen))
		}
	}
	for i, cv := range st.cfg.Copy.Volumes {
		if !st.copySeen[cv.Name] {
			st.errs = append(st.errs, fmt.Errorf("spec.copy.volumes[%d]: no selected workload has a volume named %q", i, cv.Name))
		}
	}
}
