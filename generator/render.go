package generator

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/stream"
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
	Config overlay.Config
	// TempDir holds spool files; empty means os.TempDir().
	TempDir string
	// MemoryLimit is DefaultMemoryLimit when zero.
	MemoryLimit int64
	// Now is the clock that says whether the overlay expired (spec.expires).
	Now Clock
	// ExpiryWarning makes Check warn when the overlay expires within it.
	ExpiryWarning time.Duration

	treeOnly  bool // tests: edit every workload through yaml.v3 nodes
	rerunAnew bool // tests: write a document overlaid again anew, even when its object is the same
}

// Report says what a render did.
type Report struct {
	// Config is the configuration in effect, defaults applied.
	Config overlay.Config
	// Workloads lists the overlaid workloads, in stream order.
	Workloads []overlay.Overlaid
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
	cfg, err := Resolve(append(specs(configs), r.Config)...)
	if err != nil {
		return nil, err
	}
	report := &Report{Config: cfg, Now: r.Now.Now()}
	act, err := activate(cfg, report.Now)
	if err != nil {
		return nil, err
	}
	if act.warning != "" {
		report.Findings = append(report.Findings, Finding{Message: act.warning})
	}

	output := stream.NewSpool(r.TempDir, r.memoryLimit())
	defer output.Close()
	if !act.active {
		err = inp.copyThrough(output)
	} else {
		err = r.overlay(inp, output, report)
	}
	if err != nil {
		return nil, err
	}
	if _, err := output.WriteTo(out); err != nil {
		return nil, fmt.Errorf("writing output: %w", err)
	}
	return report, nil
}

// overlay is pass 2: every document through the run's filter, at most
// maxErrors errors.
func (r *Renderer) overlay(inp *input, out io.Writer, report *Report) error {
	st, err := newRun(report, runOptions{treeOnly: r.treeOnly, rerunAnew: r.rerunAnew})
	if err != nil {
		return err
	}
	if err := st.readNamespaces(inp); err != nil {
		return err
	}
	f, err := st.newFilter(inp.eachBody)
	if err != nil {
		return err
	}
	err = inp.each(func(e entry, raw []byte) error {
		result, err := st.pass(f, e, raw)
		if err != nil {
			if st.fail(err) >= maxErrors {
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

// readConfigured is pass 1 for a stream that may hold its configuration:
// at most one DebugOverlay document, every problem of it reported at once.
func readConfigured(in io.Reader, tempDir string, limit int64) (*input, []*overlay.DebugOverlay, error) {
	var configs []*overlay.DebugOverlay
	var configErrs []error
	inp, err := readInput(in, tempDir, limit, func(e entry, body []byte) {
		obj, err := ParseDebugOverlay(body, docLabel(e, "", ""))
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

// specs returns the configurations of DebugOverlay objects.
func specs(objs []*overlay.DebugOverlay) []overlay.Config {
	out := make([]overlay.Config, len(objs))
	for i, o := range objs {
		out[i] = o.Spec
	}
	return out
}
