package overlay

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSelectWorkload(t *testing.T) {
	api := Meta{Kind: "Deployment", Name: "api", Namespace: "prod", Labels: map[string]string{"tier": "backend"}}
	with := func(w Meta, annotations, template map[string]string) Meta {
		w.Annotations, w.TemplateAnnotations = annotations, template
		return w
	}
	hook := map[string]string{HookAnnotation: "pre-install"}
	tests := []struct {
		name         string
		targets      []Target
		includeHooks bool
		w            Meta
		want         Selection
	}{
		{name: "no targets selects all", w: api, want: Selection{Selected: true}},
		{name: "kind is case-insensitive", targets: []Target{{Kind: "deployment"}}, w: api, want: Selection{Selected: true, Matched: []int{0}}},
		{name: "other kind", targets: []Target{{Kind: "StatefulSet"}}, w: api, want: Selection{}},
		{name: "name pattern", targets: []Target{{Name: "a*"}}, w: api, want: Selection{Selected: true, Matched: []int{0}}},
		{name: "namespace", targets: []Target{{Namespace: "staging"}, {Namespace: "prod"}}, w: api, want: Selection{Selected: true, Matched: []int{1}}},
		{
			name:    "selector",
			targets: []Target{{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "backend"}}}},
			w:       api, want: Selection{Selected: true, Matched: []int{0}},
		},
		{
			name:    "containers of every matching target",
			targets: []Target{{Name: "api", Containers: []string{"a"}}, {Kind: "Deployment", Containers: []string{"b", "a"}}},
			w:       api, want: Selection{Selected: true, Containers: []string{"a", "b"}, Matched: []int{0, 1}},
		},
		{
			name:    "a target without containers means all",
			targets: []Target{{Name: "api", Containers: []string{"a"}}, {Kind: "Deployment"}},
			w:       api, want: Selection{Selected: true, Matched: []int{0, 1}},
		},
		{name: "hook skipped", w: with(api, hook, nil), want: Selection{}},
		{name: "hook included", includeHooks: true, w: with(api, hook, nil), want: Selection{Selected: true}},
		{name: "hook opted in", w: with(api, hook, map[string]string{InjectAnnotation: "true"}), want: Selection{Selected: true}},
		{name: "workload opts out", w: with(api, map[string]string{InjectAnnotation: "false"}, nil), want: Selection{}},
		{name: "template opts out", w: with(api, nil, map[string]string{InjectAnnotation: "false"}), want: Selection{}},
		{
			name: "template wins over workload",
			w:    with(api, map[string]string{InjectAnnotation: "false"}, map[string]string{InjectAnnotation: "TRUE"}),
			want: Selection{Selected: true},
		},
		{
			name:    "opt-in beats targets",
			targets: []Target{{Name: "web"}},
			w:       with(api, map[string]string{InjectAnnotation: "true"}, nil),
			want:    Selection{Selected: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default().Merge(Config{Targets: tt.targets, IncludeHooks: &tt.includeHooks})
			got := cfg.Select(tt.w)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(Selection{})); diff != "" {
				t.Errorf("selectWorkload (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTargetString(t *testing.T) {
	tests := []struct {
		target Target
		want   string
	}{
		{Target{}, "*/*"},
		{Target{Kind: "StatefulSet", Name: "db"}, "statefulset/db"},
		{Target{Name: "api-*", Namespace: "prod"}, "*/api-* (namespace=prod)"},
		{Target{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}}, "*/* (selector=a=b)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.target.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
