package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/blockyaml"
	"github.com/debug-overlay/debug-overlay/internal/podedit"
	"github.com/debug-overlay/debug-overlay/internal/stream"
	"github.com/debug-overlay/debug-overlay/internal/yamltree"
)

// DefaultMemoryLimit is how many bytes of a stream a Renderer holds in
// memory before it spools to a temporary file: 8 MiB, so the 4.5 MB of a
// CRD-only chart stays in memory (going to a file and back cost it a
// quarter of its time), while 50,000 documents stay under 64 MiB of RSS
// (BENCHMARKS.md).
const DefaultMemoryLimit = 8 << 20

// maxErrors bounds how many document errors one run reports.
const maxErrors = 20

// Renderer overlays manifest streams. Its zero value renders with the
// defaults and whatever DebugOverlay document the stream holds.
type Renderer struct {
	// Config is layered above the stream's DebugOverlay document: the final
	// configuration is Default() < stream document < Config.
	Config Config
	// TempDir holds spool files; empty means os.TempDir().
	TempDir string
	// MemoryLimit is DefaultMemoryLimit when zero.
	MemoryLimit int64
	// Now is the clock that says whether the overlay expired (spec.expires);
	// nil means time.Now. Tests set it, so renders stay reproducible.
	Now func() time.Time
	// ExpiryWarning makes Check warn when the overlay expires within it.
	ExpiryWarning time.Duration

	treeOnly  bool // tests: edit every workload through yaml.v3 nodes
	rerunAnew bool // tests: write a document overlaid again anew, even when its object is the same
}

// Report says what a render did.
type Report struct {
	// Config is the configuration in effect, defaults applied.
	Config Config
	// Workloads lists the overlaid workloads, in stream order.
	Workloads []Workload
	// Findings are warnings: harmless, but worth telling.
	Findings []Finding
	// Now is the time the render took as the present.
	Now time.Time

	spliced int // workloads overlaid by splicing, for tests
}

// Finding is a warning about one document (or the whole stream, when
// Document is empty).
type Finding struct {
	Document string
	Message  string
}

func (f Finding) String() string {
	if f.Document == "" {
		return f.Message
	}
	return f.Document + ": " + f.Message
}

func (r *Renderer) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

func (r *Renderer) memoryLimit() int64 {
	if r.MemoryLimit <= 0 {
		return DefaultMemoryLimit
	}
	return r.MemoryLimit
}

// Render reads a multi-document stream from in and writes the overlaid
// stream to out. On error it writes nothing.
func (r *Renderer) Render(in io.Reader, out io.Writer) (*Report, error) {
	// Pass 1: spool every document and find the configuration, which Helm 3
	// places after the workloads it configures.
	inp, configs, err := readConfigured(in, r.TempDir, r.memoryLimit())
	if err != nil {
		return nil, err
	}
	defer inp.Close()
	cfg := r.layered(configs)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	report := &Report{Config: cfg, Now: r.now()}
	skip := false
	if cfg.IsEnabled() {
		var warning string
		if skip, warning, err = cfg.Expiry(report.Now); err != nil {
			return nil, err
		}
		if warning != "" {
			report.Findings = append(report.Findings, Finding{Message: warning})
		}
	}

	output := stream.NewSpool(r.TempDir, r.memoryLimit())
	defer output.Close()
	output.Grow(inp.spool.Size() + inp.spool.Size()/4) // the overlay adds some
	if !cfg.IsEnabled() || skip {
		if err := inp.copyThrough(output); err != nil {
			return nil, err
		}
	} else if err := r.overlay(inp, output, report); err != nil {
		return nil, err
	}
	if _, err := output.WriteTo(out); err != nil {
		return nil, fmt.Errorf("writing output: %w", err)
	}
	return report, nil
}

// readConfigured is pass 1 for a stream that may hold its configuration:
// at most one DebugOverlay document, every problem of it reported at once.
func readConfigured(in io.Reader, tempDir string, limit int64) (*input, []*overlay.DebugOverlay, error) {
	var configs []*overlay.DebugOverlay
	var configErrs []error
	inp, err := readInput(in, tempDir, limit, func(e entry, body []byte) {
		obj, err := overlay.ParseDebugOverlay(body, docLabel(e, "", ""))
		if err != nil {
			configErrs = append(configErrs, err)
		} else {
			configs = append(configs, obj)
		}
	})
	if err != nil {
		return nil, nil, err
	}
	if err := errors.Join(configErrs...); err != nil {
		inp.Close()
		return nil, nil, err
	}
	if len(configs) > 1 {
		inp.Close()
		return nil, nil, fmt.Errorf("the stream holds %d %s documents; keep one", len(configs), overlay.Kind)
	}
	return inp, configs, nil
}

// layered returns the configuration: defaults < the stream's documents <
// r.Config.
func (r *Renderer) layered(configs []*overlay.DebugOverlay) Config {
	cfg := overlay.Default()
	for _, c := range configs {
		cfg = cfg.Merge(c.Spec)
	}
	return cfg.Merge(r.Config)
}

// overlay is pass 2: documents that are not workloads, or not selected, are
// copied through as bytes; selected workloads are overlaid.
func (r *Renderer) overlay(inp *input, out io.Writer, report *Report) error {
	st, err := r.newRun(report)
	if err != nil {
		return err
	}
	if err := st.prepare(inp); err != nil {
		return err
	}
	err = inp.each(func(e entry, raw []byte) error {
		result, err := st.document(e, raw)
		if err != nil {
			st.errs = append(st.errs, err)
			if len(st.errs) >= maxErrors {
				return errStop
			}
			return nil
		}
		_, err = out.Write(result)
		return err
	})
	if err != nil {
		return err
	}
	return st.finish()
}

// run is the state of pass 2.
type run struct {
	cfg       Config
	kinds     overlay.KindTable
	overlay   *overlay.Overlay
	report    *Report
	matched   []bool          // per target
	skipped   [][]string      // per target: workloads it matches that opted out or are hooks
	copySeen  map[string]bool // copy volumes found in selected workloads
	seen      []string        // workloads in the stream, for messages
	errs      []error
	treeOnly  bool          // no splicing: every workload goes through yaml.v3
	rerunAnew bool          // no keeping the bytes of a document overlaid again
	doc       blockyaml.Doc // reused for every document
	scratch   []byte        // reused by the splice editor's projection
	cache     podedit.Cache
	release   overlay.Release // in twin mode
	helm4     bool            // with includeHooks: a document Helm 4 sent was seen
	hooks     bool            // with includeHooks: a Helm hook was seen
}

func (r *Renderer) newRun(report *Report) (*run, error) {
	o, err := overlay.New(report.Config)
	if err != nil {
		return nil, err
	}
	return &run{
		cfg:       report.Config,
		kinds:     overlay.NewKindTable(report.Config.Kinds),
		overlay:   o,
		report:    report,
		matched:   make([]bool, len(report.Config.Targets)),
		skipped:   make([][]string, len(report.Config.Targets)),
		copySeen:  map[string]bool{},
		treeOnly:  r.treeOnly,
		rerunAnew: r.rerunAnew,
	}, nil
}

// prepare reads what pass 2 needs to know of the whole stream: in twin
// mode, the release's selectors and objects.
func (st *run) prepare(inp *input) error {
	if st.cfg.Mode != overlay.ModeTwin {
		return nil
	}
	var err error
	st.release, err = readRelease(inp)
	return err
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

// document handles one document of pass 2 and returns the bytes to write.
// A document overlaid before, which this run gives the same object again,
// keeps its bytes: a second run changes nothing, whichever road either run
// took (the tree road writes yaml.v3's layout, which splicing into it
// again need not reproduce).
func (st *run) document(e entry, raw []byte) ([]byte, error) {
	if *st.cfg.IncludeHooks {
		st.helm4 = st.helm4 || bytes.Contains(raw, helm4Marker)
		st.hooks = st.hooks || bytes.Contains(raw, hookMarker)
	}
	out, err := st.overlayDocument(e, raw)
	if err != nil || st.rerunAnew || bytes.Equal(out, raw) || !bytes.Contains(raw, statusMarker) {
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

// overlayDocument overlays one document of pass 2, if it is a selected
// workload: on the fast road where it can, else on the tree road.
func (st *run) overlayDocument(e entry, raw []byte) ([]byte, error) {
	if st.cfg.Mode == overlay.ModeTwin {
		return st.twinDocument(e, raw)
	}
	wk, ok, err := st.workloadKind(e)
	if err != nil || !ok {
		return raw, err
	}
	preamble, body := stream.SplitPreamble(raw)
	if !st.treeOnly {
		if out, ok, err := st.spliced(e, wk, raw, preamble, body); ok || err != nil {
			return out, err
		}
	}
	doc, err := yamltree.ParseBody(preamble, body)
	if err != nil {
		// Whether a workload is selected depends only on its metadata:
		// read that as Kubernetes does, and leave alone what is not ours
		// to change, whatever yaml.v3 thinks of the rest.
		if meta, ok := lenientMeta(body, wk, e.h.Kind); ok && !st.cfg.Select(meta).Selected {
			st.seen = append(st.seen, strings.ToLower(meta.Kind)+"/"+meta.Name)
			st.noteSkipped(meta, "")
			return raw, nil
		}
		return nil, docErr(e, "", "", err)
	}
	changed, err := st.object(doc.Content[0], wk, e)
	if err != nil || !changed {
		return raw, err
	}
	return yamltree.Encode(raw, preamble, body, doc)
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
