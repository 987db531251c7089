package generator

import (
	"fmt"
	"io"

	"github.com/debug-overlay/debug-overlay/internal/stream"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// CheckReport is what Check found in a stream and its configuration.
type CheckReport struct {
	// Config is the merged configuration, defaults applied, as far as it
	// could be read.
	Config Config
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
	limit := r.MemoryLimit
	if limit <= 0 {
		limit = DefaultMemoryLimit
	}
	input := stream.NewSpool(r.TempDir, limit)
	defer input.Close()

	// Pass 1, as in Render.
	rep := &CheckReport{}
	var configs []*DebugOverlay
	nconfig := 0
	entries, err := spoolStream(in, input, func(e entry, body []byte) {
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
	rep.Documents = len(entries)
	if nconfig > 1 {
		rep.Problems = append(rep.Problems, fmt.Errorf("the stream holds %d %s documents; keep one", nconfig, Kind))
	}
	cfg := Default()
	for _, c := range configs {
		cfg = cfg.Merge(c.Spec)
	}
	cfg = cfg.Merge(r.Config)
	rep.Config = cfg
	rep.Problems = append(rep.Problems, Unjoin(cfg.Validate())...)
	if !cfg.IsEnabled() {
		return rep, nil
	}

	// Pass 2, as in Render's overlay, without its limit on errors.
	pass := cfg
	if _, err := LookupPreset(pass.Sidecar.Preset); err != nil {
		pass.Sidecar.Preset = Default().Sidecar.Preset
	}
	if _, err := LookupProfile(pass.Sidecar.Profile); err != nil {
		pass.Sidecar.Profile = Default().Sidecar.Profile
	}
	st, err := newRun(&Report{Config: pass})
	if err != nil {
		rep.Problems = append(rep.Problems, err)
		return rep, nil
	}
	rep.Checked = true
	var raw []byte
	for _, e := range entries {
		if e.config {
			continue
		}
		if int64(cap(raw)) < e.n {
			raw = make([]byte, e.n)
		}
		raw = raw[:e.n]
		if _, err := input.ReadAt(raw, e.off); err != nil {
			return nil, fmt.Errorf("reading spool: %w", err)
		}
		if _, err := st.document(e, raw); err != nil {
			st.errs = append(st.errs, err)
		}
	}
	rep.Problems = append(rep.Problems, Unjoin(st.finish())...)
	rep.Findings = st.report.Findings
	return rep, nil
}

// CheckDebugOverlay decodes a DebugOverlay object like ParseDebugOverlay but
// reports every problem, not the first: each unknown or duplicate field, and
// a wrong apiVersion or kind. It still returns the object when it could be
// decoded leniently, so the rest of it can be checked too; nil means it
// could not be decoded at all.
func CheckDebugOverlay(data []byte, source string) (*DebugOverlay, []error) {
	obj, err := ParseDebugOverlay(data, source)
	if err == nil {
		return obj, nil
	}
	// ParseDebugOverlay stops at the first unknown field; sigs.k8s.io/json
	// lists them all, with their paths.
	j, jerr := yaml.YAMLToJSON(data)
	if jerr != nil {
		return nil, []error{err}
	}
	var lenient DebugOverlay
	strict, derr := kjson.UnmarshalStrict(j, &lenient, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if derr != nil {
		return nil, []error{err}
	}
	var errs []error
	for _, s := range strict {
		errs = append(errs, fmt.Errorf("%s: %w", source, s))
	}
	if lenient.APIVersion != APIVersion || lenient.Kind != Kind {
		errs = append(errs, fmt.Errorf("%s: want apiVersion %s and kind %s, got %q and %q",
			source, APIVersion, Kind, lenient.APIVersion, lenient.Kind))
	}
	if len(errs) == 0 {
		// Something only the case-insensitive strict decoder minds.
		errs = append(errs, err)
	}
	return &lenient, errs
}

// Unjoin flattens an error made by errors.Join (at any depth) into its
// parts; nil gives nil, any other error itself.
func Unjoin(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, Unjoin(e)...)
	}
	return out
}
