package generator

import (
	"path"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// HookAnnotation marks Helm hook resources.
const HookAnnotation = "helm.sh/hook"

// workloadMeta is what target selection looks at.
type workloadMeta struct {
	kind, name, namespace string
	labels                map[string]string
	annotations           map[string]string // the workload's own
	templateAnnotations   map[string]string // its pod template's
}

func (w workloadMeta) isHook() bool { return w.annotations[HookAnnotation] != "" }

// inject returns the debug-overlay.dev/inject opinion, the pod template's
// winning over the workload's, and whether there is one.
func (w workloadMeta) inject() (value, set bool) {
	for _, m := range []map[string]string{w.templateAnnotations, w.annotations} {
		if v, ok := m[InjectAnnotation]; ok {
			return strings.EqualFold(v, "true"), true
		}
	}
	return false, false
}

// selection is the outcome of matching a workload against the targets.
type selection struct {
	selected   bool
	containers []string // containers to mirror; nil means all
	matched    []int    // indices of the targets that matched
}

// selectWorkload applies, in order: an inject "false" annotation excludes;
// hooks are excluded unless IncludeHooks or an inject "true" annotation; no
// targets means every workload; otherwise any matching target selects it,
// and so does an inject "true" annotation.
func (c Config) selectWorkload(w workloadMeta) selection {
	inject, injectSet := w.inject()
	if injectSet && !inject {
		return selection{}
	}
	if w.isHook() && !*c.IncludeHooks && !inject {
		return selection{}
	}
	if len(c.Targets) == 0 {
		return selection{selected: true}
	}
	var s selection
	all := false
	for i, t := range c.Targets {
		if !t.matches(w) {
			continue
		}
		s.selected = true
		s.matched = append(s.matched, i)
		if len(t.Containers) == 0 {
			all = true
		}
		for _, name := range t.Containers {
			if !slices.Contains(s.containers, name) {
				s.containers = append(s.containers, name)
			}
		}
	}
	if !s.selected && inject {
		s.selected = true
	}
	if all || len(s.matched) == 0 {
		s.containers = nil
	}
	return s
}

func (t Target) matches(w workloadMeta) bool {
	if t.Kind != "" && !strings.EqualFold(t.Kind, w.kind) {
		return false
	}
	if t.Namespace != "" && t.Namespace != w.namespace {
		return false
	}
	if t.Name != "" {
		if ok, _ := path.Match(t.Name, w.name); !ok {
			return false
		}
	}
	if t.Selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(t.Selector)
		if err != nil || !sel.Matches(labels.Set(w.labels)) {
			return false
		}
	}
	return true
}

// String renders a target the way --target takes it, for messages.
func (t Target) String() string {
	var parts []string
	if t.Namespace != "" {
		parts = append(parts, "namespace="+t.Namespace)
	}
	if t.Selector != nil {
		parts = append(parts, "selector="+metav1.FormatLabelSelector(t.Selector))
	}
	kind, name := t.Kind, t.Name
	if kind == "" {
		kind = "*"
	}
	if name == "" {
		name = "*"
	}
	s := strings.ToLower(kind) + "/" + name
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}
