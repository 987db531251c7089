package overlay

import (
	"path"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// HookAnnotation marks Helm hook resources.
const HookAnnotation = "helm.sh/hook"

// Meta is what target selection looks at: all of it can be read leniently,
// as Kubernetes reads it, whatever the rest of the document holds.
type Meta struct {
	Kind, Name, Namespace string
	Labels                map[string]string
	Annotations           map[string]string // the workload's own
	TemplateAnnotations   map[string]string // its pod template's
}

// IsHook reports whether the workload is a Helm hook.
func (w Meta) IsHook() bool { return w.Annotations[HookAnnotation] != "" }

// Inject returns the debug-overlay.dev/inject opinion, the pod template's
// winning over the workload's, and whether there is one.
func (w Meta) Inject() (value, set bool) {
	for _, m := range []map[string]string{w.TemplateAnnotations, w.Annotations} {
		if v, ok := m[InjectAnnotation]; ok {
			return strings.EqualFold(v, "true"), true
		}
	}
	return false, false
}

// Selection is the outcome of matching a workload against the targets.
type Selection struct {
	Selected   bool
	Containers []string // containers to mirror; nil means all
	Matched    []int    // indices of the targets that matched
}

// Select applies, in order: an inject "false" annotation excludes;
// hooks are excluded unless IncludeHooks or an inject "true" annotation; no
// targets means every workload; otherwise any matching target selects it,
// and so does an inject "true" annotation.
func (c Config) Select(w Meta) Selection {
	if w.Annotations[TwinOfAnnotation] != "" {
		return Selection{} // a twin is the overlay's own: it is made, not overlaid
	}
	inject, injectSet := w.Inject()
	if injectSet && !inject {
		return Selection{}
	}
	if w.IsHook() && !*c.IncludeHooks && !inject {
		return Selection{}
	}
	if len(c.Targets) == 0 {
		return Selection{Selected: true}
	}
	var s Selection
	all := false
	for i, t := range c.Targets {
		if !t.Matches(w) {
			continue
		}
		s.Selected = true
		s.Matched = append(s.Matched, i)
		if len(t.Containers) == 0 {
			all = true
		}
		for _, name := range t.Containers {
			if !slices.Contains(s.Containers, name) {
				s.Containers = append(s.Containers, name)
			}
		}
	}
	if !s.Selected && inject {
		s.Selected = true
	}
	if all || len(s.Matched) == 0 {
		s.Containers = nil
	}
	return s
}

// Matches reports whether the target names the workload.
func (t Target) Matches(w Meta) bool {
	if t.Kind != "" && !strings.EqualFold(t.Kind, w.Kind) {
		return false
	}
	if t.Namespace != "" && t.Namespace != w.Namespace {
		return false
	}
	if t.Name != "" {
		if ok, _ := path.Match(t.Name, w.Name); !ok {
			return false
		}
	}
	if t.Selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(t.Selector)
		if err != nil || !sel.Matches(labels.Set(w.Labels)) {
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
