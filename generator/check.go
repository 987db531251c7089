package generator

import (
	"errors"
	"fmt"
	"io"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// CheckReport is what Check found in a stream and its configuration.
type CheckReport struct {
	// Config is the merged configuration, defaults applied, as far as it
	// could be read.
	Config overlay.Config
	// Problems lists everything that makes Render fail, one error each:
	// configuration problems first, then documents in stream order, then
	// targets and copy volumes that matched nothing.
	Problems []error
	// Findings are the warnings Render would give.
	Findings []Finding
	// Documents counts the stream's documents, DebugOverlay ones included.
	Documents int
	// Checked reports whether the documents were checked, which happens
	// only with the overlay enabled: disabled, Render copies them through.
	Checked bool
}

// Check reads a stream as Render does, layering r.Config above the stream's
// DebugOverlay document, and reports every problem instead of stopping at
// the first kind: all unknown fields of each DebugOverlay document, every
// configuration problem and, even when the configuration is invalid, every
// document that cannot be overlaid (a preset or profile Validate rejected is
// replaced by the default for that pass). The error is for I/O only.
func (r *Renderer) Check(in io.Reader) (*CheckReport, error) {
	// Pass 1, as in Render.
	rep := &CheckReport{}
	var configs []*overlay.DebugOverlay
	nconfig := 0
	inp, err := readInput(in, r.TempDir, r.memoryLimit(), func(e entry, body []byte) {
		nconfig++
		obj, errs := CheckDebugOverlay(body, docLabel(e, "", ""))
		rep.Problems = append(rep.Problems, errs...)
		if obj != nil {
			configs = append(configs, obj)
		}
	})
	if err != nil {
		return nil, err
	}
	defer inp.Close()
	rep.Documents = len(inp.entries)
	if nconfig > 1 {
		rep.Problems = append(rep.Problems, fmt.Errorf("the stream holds %d %s documents; keep one", nconfig, overlay.Kind))
	}
	cfg, err := Resolve(append(specs(configs), r.Config)...)
	rep.Config = cfg
	rep.Problems = append(rep.Problems, Unjoin(err)...)
	if !cfg.IsEnabled() {
		return rep, nil
	}
	r.checkExpiry(rep)

	// Pass 2, as in Render's overlay, without its limit on errors; a
	// preset or profile Validate rejected is replaced by the default.
	pass := cfg
	if _, err := overlay.LookupPreset(pass.Sidecar.Preset); err != nil {
		pass.Sidecar.Preset = overlay.Default().Sidecar.Preset
	}
	if err := overlay.CheckProfileChoice(pass.Sidecar.Profile); err != nil {
		pass.Sidecar.Profile = overlay.Default().Sidecar.Profile
	}
	st, err := newRun(&Report{Config: pass}, runOptions{})
	if err != nil {
		rep.Problems = append(rep.Problems, err)
		return rep, nil
	}
	if err := st.readNamespaces(inp); err != nil {
		return nil, err
	}
	rep.Checked = true
	f, err := st.newFilter(inp.eachBody)
	if err != nil {
		return nil, err
	}
	err = inp.each(func(e entry, raw []byte) error {
		if _, err := st.pass(f, e, raw); err != nil {
			st.fail(err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Problems = append(rep.Problems, Unjoin(st.finish())...)
	rep.Findings = append(rep.Findings, st.report.Findings...)
	for _, w := range st.report.Workloads {
		if w.Hook {
			rep.Findings = append(rep.Findings, Finding{Document: w.Kind + " " + w.Name, Message: "a Helm hook, overlaid: Helm 3 never post-renders hooks; " +
				"a Flux HelmRelease applies its patch only with spec.postRenderStrategy combined or separate (generate --flux-release writes combined); " +
				"under nohooks, which an unset strategy becomes with helm-controller's UseHelm3Defaults gate, the patch matches nothing, silently"})
		}
	}
	return rep, nil
}

// CheckConfig checks the configuration alone (r.Config above the
// defaults), as Check does before it reads a stream.
func (r *Renderer) CheckConfig() *CheckReport {
	cfg, err := Resolve(r.Config)
	rep := &CheckReport{Config: cfg, Problems: Unjoin(err)}
	if cfg.IsEnabled() {
		r.checkExpiry(rep)
	}
	return rep
}

// checkExpiry makes an expired overlay a problem, whatever onExpiry does at
// render, and one that expires within r.ExpiryWarning a warning.
func (r *Renderer) checkExpiry(rep *CheckReport) {
	cfg, now := rep.Config, r.Now.Now()
	_, warning, err := cfg.Expiry(now)
	switch t, ok := cfg.ExpiresAt(); {
	case err != nil:
		rep.Problems = append(rep.Problems, err)
	case warning != "":
		rep.Problems = append(rep.Problems, errors.New(warning))
	case ok && t.Sub(now) <= r.ExpiryWarning:
		rep.Findings = append(rep.Findings, Finding{Message: fmt.Sprintf("the debug overlay expires %s (at %s)", cfg.ExpiresIn(now), cfg.Expires)})
	}
}
