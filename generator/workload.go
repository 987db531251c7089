package generator

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/blockyaml"
	"github.com/debug-overlay/debug-overlay/internal/podedit"
	"github.com/debug-overlay/debug-overlay/internal/yamltree"
)

// Reading a workload for the overlay, on its two roads: the fast road
// indexes plain block YAML (what Helm renders) and splices the additions
// into the original bytes; the tree road parses any YAML into yaml.v3 nodes
// and encodes them again. Both end in run.workload, which decides and
// applies the overlay through an overlay.Editor. Whatever the fast road
// cannot be sure of, it leaves to the tree road, before it has changed any
// state: the two give the same objects (splice_test.go).

// helm4FilenameAnnotation is how Helm 4 tells a post-renderer which template
// file a document came from; it splits the output back into files by it.
const helm4FilenameAnnotation = "postrenderer.helm.sh/postrender-filename"

// spliced overlays a workload on the fast road. ok false means "take the
// tree road"; nothing has been recorded then.
func (st *run) spliced(e entry, wk overlay.WorkloadKind, raw, preamble, body []byte) (out []byte, ok bool, err error) {
	d := &st.doc
	if !d.Index(body) {
		return nil, false, nil
	}
	if body[len(body)-1] != '\n' && d.Kind(d.Last()) == blockyaml.BlockScalar {
		// A line break after it, for what the overlay adds, would change
		// the scalar's value.
		return nil, false, nil
	}
	meta, tmpl, ok := blockMeta(d, wk, e.h.Kind)
	if !ok {
		return nil, false, nil
	}
	sel := st.cfg.Select(meta)
	var osName string
	var edit *podedit.Splice
	if sel.Selected {
		spec := d.Get(tmpl, "spec")
		if d.Kind(spec) != blockyaml.Map {
			return nil, false, nil
		}
		if os := d.Get(spec, "os"); !d.MapOrAbsent(os) {
			return nil, false, nil // `os: {name: windows}`: the tree road reads it
		}
		if osName, ok = d.StrOrAbsent(d.Path(spec, "os", "name")); !ok {
			return nil, false, nil
		}
		if osName != "windows" {
			// The editor undoes an overlay of an earlier run first, so a
			// second run changes nothing.
			if edit, ok = podedit.NewSplice(d, wk.Path(), &st.cache, st.scratch[:0]); !ok {
				return nil, false, nil
			}
		}
	}
	// From here on, the fast road does not turn back.
	var pe overlay.Editor
	if edit != nil {
		pe = edit
	}
	changed, err := st.workload(e, wk, meta, sel, osName, pe)
	if err != nil || !changed {
		return raw, true, err
	}
	out, err = edit.Bytes(preamble)
	st.report.spliced++
	return out, true, err
}

// blockMeta reads what selection looks at from an indexed workload, and
// finds its pod template; ok false means a shape the index cannot read
// for sure.
func blockMeta(d *blockyaml.Doc, wk overlay.WorkloadKind, kind string) (meta overlay.Meta, tmpl blockyaml.Node, ok bool) {
	meta.Kind = kind
	md := d.Get(blockyaml.Root, "metadata")
	if !d.MapOrAbsent(md) {
		return meta, 0, false
	}
	if meta.Name, ok = d.StrOrAbsent(d.Get(md, "name")); !ok {
		return meta, 0, false
	}
	if meta.Namespace, ok = d.StrOrAbsent(d.Get(md, "namespace")); !ok {
		return meta, 0, false
	}
	if meta.Labels, ok = d.StringMap(d.Get(md, "labels")); !ok {
		return meta, 0, false
	}
	if meta.Annotations, ok = d.StringMap(d.Get(md, "annotations")); !ok {
		return meta, 0, false
	}
	tmpl = d.Path(blockyaml.Root, wk.Path()...)
	if d.Kind(tmpl) != blockyaml.Map {
		return meta, 0, false
	}
	tmd := d.Get(tmpl, "metadata")
	if !d.MapOrAbsent(tmd) {
		return meta, 0, false
	}
	if meta.TemplateAnnotations, ok = d.StringMap(d.Get(tmd, "annotations")); !ok {
		return meta, 0, false
	}
	return meta, tmpl, true
}

// object overlays one parsed workload in place, if it is selected, and
// reports whether it changed: the tree road, which the KRM function takes
// too.
func (st *run) object(root *yaml.Node, wk overlay.WorkloadKind, e entry) (bool, error) {
	meta := treeMeta(root, e.h.Kind)
	tmpl := root
	if path := wk.Path(); path != nil {
		tmpl = yamltree.MapPath(root, path...)
		if tmpl == nil || tmpl.Kind != yaml.MappingNode {
			if e.h.Source == "" {
				e.h.Source = meta.Annotations[helm4FilenameAnnotation]
			}
			st.seen = append(st.seen, strings.ToLower(meta.Kind)+"/"+meta.Name)
			return false, docErr(e, meta.Namespace, meta.Name, fmt.Errorf("%s: missing or not a mapping", wk.TemplatePath))
		}
	}
	meta.TemplateAnnotations = yamltree.StringMap(yamltree.MapPath(tmpl, "metadata", "annotations"))
	osName := yamltree.Value(yamltree.MapPath(tmpl, "spec", "os", "name"))
	sel := st.cfg.Select(meta)
	if sel.Selected {
		dups, err := yamltree.CheckKeys(root, 0)
		if err != nil {
			return false, docErr(e, meta.Namespace, meta.Name, fmt.Errorf("not valid YAML: %w", err))
		}
		slices.SortStableFunc(dups, func(a, b yamltree.DuplicateKey) int { return a.Line - b.Line })
		for _, d := range dups {
			st.report.Findings = append(st.report.Findings, Finding{Document: docLabel(e, meta.Namespace, meta.Name),
				Message: fmt.Sprintf("key %q is written twice (lines %d and %d): Kubernetes reads the last one, and so does the overlay", d.Key, d.First, d.Line)})
		}
	}
	return st.workload(e, wk, meta, sel, osName, podedit.NewTree(tmpl))
}

// treeMeta reads what selection looks at of a parsed workload, but for its
// pod template's annotations.
func treeMeta(root *yaml.Node, kind string) overlay.Meta {
	return overlay.Meta{
		Kind:        kind,
		Name:        yamltree.Value(yamltree.MapPath(root, "metadata", "name")),
		Namespace:   yamltree.Value(yamltree.MapPath(root, "metadata", "namespace")),
		Labels:      yamltree.StringMap(yamltree.MapPath(root, "metadata", "labels")),
		Annotations: yamltree.StringMap(yamltree.MapPath(root, "metadata", "annotations")),
	}
}

// workload overlays one workload, read by object or spliced, if sel
// selected it, and reports whether it changed.
func (st *run) workload(e entry, wk overlay.WorkloadKind, meta overlay.Meta, sel overlay.Selection, osName string, edit overlay.Editor) (bool, error) {
	label, ok := st.admit(&e, meta, sel, osName)
	if !ok {
		return false, nil
	}
	w, notes, err := st.overlay.Apply(&overlay.Pod{Edit: edit, Field: wk.TemplatePath, Kind: wk, Meta: meta, Sel: sel})
	if err != nil {
		st.noteCopies(w)
		return false, &docError{label: label, err: err}
	}
	st.record(e, label, w, notes)
	return true, nil
}

// admit notes a workload in the run and says whether the overlay goes on
// it, and the label that names it in messages.
func (st *run) admit(e *entry, meta overlay.Meta, sel overlay.Selection, osName string) (string, bool) {
	if e.h.Source == "" {
		e.h.Source = meta.Annotations[helm4FilenameAnnotation]
	}
	label := docLabel(*e, meta.Namespace, meta.Name)
	st.seen = append(st.seen, strings.ToLower(meta.Kind)+"/"+meta.Name)
	if !sel.Selected {
		st.noteSkipped(meta, "")
		return label, false
	}
	if osName == "windows" {
		// The presets are Linux images, and the API server refuses
		// shareProcessNamespace and Linux security settings on Windows pods.
		why := "a Windows pod: the debug overlay needs Linux"
		st.noteSkipped(meta, why)
		st.report.Findings = append(st.report.Findings, Finding{Document: label, Message: why + "; left unchanged"})
		return label, false
	}
	for _, i := range sel.Matched {
		st.matched[i] = true
	}
	return label, true
}

// record adds what the overlay did to a workload to the report.
func (st *run) record(e entry, label string, w *overlay.Overlaid, notes []string) {
	st.noteCopies(w)
	w.Source = e.h.Source
	st.report.Workloads = append(st.report.Workloads, *w)
	for _, n := range notes {
		st.report.Findings = append(st.report.Findings, Finding{Document: label, Message: n})
	}
}

// noteCopies notes the copied volumes a workload has, also when Apply
// refused to copy them (w then names them in Copies; w may be nil), so
// that they are not reported as volumes no workload has.
func (st *run) noteCopies(w *overlay.Overlaid) {
	if w == nil {
		return
	}
	for _, c := range w.Copies {
		st.copySeen[c.Volume] = true
	}
}

// lenientMeta reads what selection looks at (kind, name, namespace,
// labels, annotations and the pod template's annotations) as Kubernetes'
// YAML reader does: the last of duplicate keys wins, and the rest of the
// document may be anything that reader takes.
func lenientMeta(body []byte, wk overlay.WorkloadKind, kind string) (overlay.Meta, bool) {
	var obj map[string]any
	if err := sigsyaml.Unmarshal(body, &obj); err != nil || obj == nil {
		return overlay.Meta{}, false
	}
	md, _ := obj["metadata"].(map[string]any)
	tmpl := obj
	for _, f := range wk.Path() {
		tmpl, _ = tmpl[f].(map[string]any)
	}
	tmd, _ := tmpl["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	namespace, _ := md["namespace"].(string)
	return overlay.Meta{
		Kind:                kind,
		Name:                name,
		Namespace:           namespace,
		Labels:              anyStrings(md["labels"]),
		Annotations:         anyStrings(md["annotations"]),
		TemplateAnnotations: anyStrings(tmd["annotations"]),
	}, true
}

// anyStrings keeps the string values of a decoded mapping.
func anyStrings(v any) map[string]string {
	m, _ := v.(map[string]any)
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}
