package generator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/podedit"
	"github.com/debug-overlay/debug-overlay/internal/stream"
	"github.com/debug-overlay/debug-overlay/internal/yamltree"
)

// Twin mode (spec.mode: twin): every selected workload comes out byte for
// byte as it came in, and its twin right after it. What the twin is comes
// from overlay.PlanTwin; the release's selectors, which decide the twin's
// labels, are read in a pass of their own, leniently: a document twin mode
// only reads never fails the render.

// readRelease reads, from every document of the stream, its name and the
// labels it selects pods on.
func readRelease(inp *input) (overlay.Release, error) {
	rel := overlay.Release{Objects: map[string]bool{}}
	err := inp.each(func(e entry, raw []byte) error {
		if !e.h.Empty {
			_, body := stream.SplitPreamble(raw)
			addToRelease(&rel, body)
		}
		return nil
	})
	return rel, err
}

// addToRelease reads one document's name and selectors into rel; a
// document it cannot read it leaves out.
func addToRelease(rel *overlay.Release, doc []byte) {
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

// twinDocument is pass 2 in twin mode: a selected workload comes out as
// it came in, and its twin after it; a twin of an earlier run is dropped,
// as it is made anew.
func (st *run) twinDocument(e entry, raw []byte) ([]byte, error) {
	wk, ok, err := st.workloadKind(e)
	if err != nil || !ok {
		return raw, err
	}
	preamble, body := stream.SplitPreamble(raw)
	doc, err := yamltree.ParseBody(preamble, body)
	if err != nil {
		if meta, ok := lenientMeta(body, wk, e.h.Kind); ok && !st.cfg.Select(meta).Selected && meta.Annotations[overlay.TwinOfAnnotation] == "" {
			st.seen = append(st.seen, strings.ToLower(meta.Kind)+"/"+meta.Name)
			st.noteSkipped(meta, "")
			return raw, nil
		}
		return nil, docErr(e, "", "", err)
	}
	root := doc.Content[0]
	if podedit.IsTwin(root) {
		return nil, nil
	}
	node, err := st.twin(&e, wk, root)
	if err != nil || node == nil {
		return raw, err
	}
	twin, err := encodeTwin(e, body, node)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(raw)+len(twin)+1)
	out = append(out, raw...)
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, twin...), nil
}

// twin returns the twin of the workload root, overlaid; nil when the
// workload is not selected.
func (st *run) twin(e *entry, wk overlay.WorkloadKind, root *yaml.Node) (*yaml.Node, error) {
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
		return overlay.WorkloadKind{}, false, docErr(e, "", "", fmt.Errorf("%s documents are not supported: the overlay cannot see the workloads inside; render the items as separate documents", e.h.Kind))
	}
	wk, ok := st.kinds.Lookup(e.h.APIVersion, e.h.Kind)
	return wk, ok, nil
}
