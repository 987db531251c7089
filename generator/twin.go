package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/podedit"
	"github.com/debug-overlay/debug-overlay/internal/yamltree"
)

// Twin mode (spec.mode: twin): every selected workload comes out byte for
// byte as it came in, and its twin right after it. What the twin is comes
// from overlay.PlanTwin; the release's selectors, which decide the twin's
// labels, are read in a pass of their own, leniently: a document twin mode
// only reads never fails the render.

// addToRelease reads one document's name and selectors into rel; a
// document it cannot read it leaves out.
func addToRelease(rel *overlay.TwinContext, doc []byte) {
	var obj map[string]any
	if sigsyaml.Unmarshal(doc, &obj) != nil || obj == nil {
		return
	}
	kind, _ := obj["kind"].(string)
	md, _ := obj["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	namespace, _ := md["namespace"].(string)
	if ann, _ := md["annotations"].(map[string]any); ann[overlay.TwinOfAnnotation] != nil {
		return // a twin of an earlier run, made anew
	}
	rel.Objects[kind+"/"+namespace+"/"+name] = true
	rel.Selectors = append(rel.Selectors, selectorsOf(kind, name, obj)...)
}

// selectorsOf returns who, in object obj of kind, selects pods, and how.
func selectorsOf(kind, name string, obj map[string]any) []overlay.Selector {
	spec, _ := obj["spec"].(map[string]any)
	var out []overlay.Selector
	add := func(role overlay.SelectorRole, sel *metav1.LabelSelector) {
		if sel != nil && (len(sel.MatchLabels) > 0 || len(sel.MatchExpressions) > 0) {
			out = append(out, overlay.Selector{Kind: kind, Name: name, Role: role, Selector: sel})
		}
	}
	wk, _ := overlay.Builtin(kind)
	switch {
	case kind == "Service":
		add(overlay.RoleRoute, mapSelector(spec["selector"]))
	case kind == "PodDisruptionBudget":
		add(overlay.RoleGuard, labelSelector(spec["selector"]))
	case wk.Selector == overlay.SelectorLabels || wk.Selector == overlay.SelectorGenerated:
		add(overlay.RoleOwn, labelSelector(spec["selector"]))
	case wk.Selector == overlay.SelectorMap:
		sel := mapSelector(spec["selector"])
		if sel == nil { // the selector defaults to the template's labels
			tmpl, _ := spec["template"].(map[string]any)
			tmd, _ := tmpl["metadata"].(map[string]any)
			sel = mapSelector(tmd["labels"])
		}
		add(overlay.RoleOwn, sel)
	case kind == "NetworkPolicy":
		add(overlay.RolePolicy, labelSelector(spec["podSelector"]))
		for _, dir := range []struct{ rules, peers string }{{"ingress", "from"}, {"egress", "to"}} {
			rules, _ := spec[dir.rules].([]any)
			for _, r := range rules {
				rule, _ := r.(map[string]any)
				list, _ := rule[dir.peers].([]any)
				for _, p := range list {
					peer, _ := p.(map[string]any)
					add(overlay.RolePeer, labelSelector(peer["podSelector"]))
				}
			}
		}
	}
	return out
}

// mapSelector reads a selector written as a map of labels (a Service's).
func mapSelector(v any) *metav1.LabelSelector {
	m, _ := v.(map[string]any)
	if len(m) == 0 {
		return nil
	}
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{}}
	for k, v := range m {
		s, _ := v.(string)
		sel.MatchLabels[k] = s
	}
	return sel
}

// labelSelector reads a LabelSelector; nil when it is none.
func labelSelector(v any) *metav1.LabelSelector {
	if v == nil {
		return nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var sel metav1.LabelSelector
	if json.Unmarshal(data, &sel) != nil {
		return nil
	}
	return &sel
}

// twin returns the twin of the workload root, overlaid; nil when the
// workload is not selected.
func (st *twins) twin(e *entry, wk overlay.WorkloadKind, root *yaml.Node) (*yaml.Node, error) {
	meta := treeMeta(root, e.h.Kind)
	tmpl := yamltree.MapPath(root, wk.Path()...)
	meta.TemplateAnnotations = yamltree.StringMap(yamltree.MapPath(tmpl, "metadata", "annotations"))
	sel := st.cfg.Select(meta)
	label, ok := st.admit(e, meta, sel, yamltree.Value(yamltree.MapPath(tmpl, "spec", "os", "name")))
	if !ok {
		return nil, nil
	}
	if tmpl == nil || tmpl.Kind != yaml.MappingNode {
		return nil, &docError{label: label, err: fmt.Errorf("%s: missing or not a mapping", wk.TemplatePath)}
	}
	plan, err := st.cfg.PlanTwin(wk, meta, yamltree.StringMap(yamltree.MapPath(tmpl, "metadata", "labels")), st.release)
	if err != nil {
		return nil, &docError{label: label, err: err}
	}
	plan.SelectHeld(sel)
	twin, twinTmpl, err := podedit.MakeTwin(root, wk, plan)
	if err != nil {
		return nil, &docError{label: label, err: fmt.Errorf("making its twin: %w", err)}
	}
	twinMeta := overlay.Meta{Kind: plan.Kind.Kind, Name: plan.Name, Namespace: meta.Namespace, Labels: meta.Labels,
		Annotations: yamltree.StringMap(yamltree.MapPath(twin, "metadata", "annotations"))}
	w, notes, err := st.overlay.Apply(&overlay.Pod{Edit: podedit.NewTree(twinTmpl), Field: plan.Kind.TemplatePath, Kind: plan.Kind, Meta: twinMeta, Sel: sel})
	if err != nil {
		st.noteCopies(w)
		return nil, &docError{label: label, err: fmt.Errorf("its twin %s %s: %w", plan.Kind.Kind, plan.Name, err)}
	}
	w.Twin = plan
	st.record(*e, label, w, append(notes, plan.Notes...))
	return twin, nil
}

// encodeTwin writes a twin as a document of the stream, in the style of its
// original's body: its list style, its line breaks.
func encodeTwin(e entry, body []byte, twin *yaml.Node) ([]byte, error) {
	pre := "---\n"
	if e.h.Source != "" {
		pre += "# Source: " + e.h.Source + "\n"
	}
	out, err := yamltree.Encode([]byte(pre), []byte(pre), body, &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{twin}})
	if err != nil {
		return nil, docErr(e, "", "", fmt.Errorf("encoding its twin: %w", err))
	}
	if bytes.Contains(body, []byte("\r\n")) { // the document's line breaks, the preamble's too
		out = append([]byte(strings.ReplaceAll(pre, "\n", "\r\n")), out[len(pre):]...)
	}
	return out, nil
}
