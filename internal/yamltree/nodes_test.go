package yamltree

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

func encodeNode(t *testing.T, n *yaml.Node) string {
	t.Helper()
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestMapEnsure(t *testing.T) {
	tests := []struct {
		name        string
		input       string
		key         string
		kind        yaml.Kind
		wantCreated bool
		// want is the document after adding "added: yes" to the ensured mapping
		// (or the item "added" to the ensured sequence).
		want string
	}{
		{
			name: "existing mapping", input: "m:\n  a: 1\n", key: "m", kind: yaml.MappingNode,
			want: "m:\n  a: 1\n  added: yes\n",
		},
		{
			name: "absent", input: "x: 1\n", key: "m", kind: yaml.MappingNode, wantCreated: true,
			want: "x: 1\nm:\n  added: yes\n",
		},
		{
			name: "null is replaced as if absent", input: "m:\nx: 1\n", key: "m", kind: yaml.MappingNode, wantCreated: true,
			want: "x: 1\nm:\n  added: yes\n",
		},
		{
			name:  "alias is copied, the anchor is left alone",
			input: "a: &shared\n  k: v\nm: *shared\n", key: "m", kind: yaml.MappingNode,
			want: "a: &shared\n  k: v\nm:\n  k: v\n  added: yes\n",
		},
		{
			name: "aliased sequence", input: "a: &l [x]\nm: *l\n", key: "m", kind: yaml.SequenceNode,
			want: "a: &l [x]\nm: [x, added]\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tt.input), &doc); err != nil {
				t.Fatal(err)
			}
			n, created, err := MapEnsure(doc.Content[0], tt.key, tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			if created != tt.wantCreated {
				t.Errorf("created = %v, want %v", created, tt.wantCreated)
			}
			if tt.kind == yaml.MappingNode {
				MapSet(n, "added", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "yes"})
			} else {
				n.Content = append(n.Content, Scalar("added"))
			}
			if diff := cmp.Diff(tt.want, encodeNode(t, &doc)); diff != "" {
				t.Errorf("document (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMapEnsureRefusesOtherKinds(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("m: [x]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	if _, _, err := MapEnsure(doc.Content[0], "m", yaml.MappingNode); err == nil || err.Error() != "m: not a mapping" {
		t.Errorf("error = %v, want m: not a mapping", err)
	}
}

func TestMapGetFollowsAliases(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("base: &b {spec: {containers: [{name: app}]}}\ntemplate: *b\n"), &doc); err != nil {
		t.Fatal(err)
	}
	if got := Value(MapGet(Items(MapPath(doc.Content[0], "template", "spec", "containers"))[0], "name")); got != "app" {
		t.Errorf("name through the alias = %q, want app", got)
	}
}

func TestMoveBefore(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{name: "moves back", input: "a: 1\nspec: 2\nmetadata: 3\n", want: "a: 1\nmetadata: 3\nspec: 2\n"},
		{name: "already before", input: "metadata: 3\nspec: 2\n", want: "metadata: 3\nspec: 2\n"},
		{name: "no spec", input: "a: 1\nmetadata: 3\n", want: "a: 1\nmetadata: 3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tt.input), &doc); err != nil {
				t.Fatal(err)
			}
			MoveBefore(doc.Content[0], "metadata", "spec")
			if diff := cmp.Diff(tt.want, encodeNode(t, &doc)); diff != "" {
				t.Errorf("document (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSpellFlowNulls(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{name: "flow mapping", input: "{a, b: , c: 1}\n", want: "{a: null, b: null, c: 1}\n"},
		{name: "nested in a block", input: "x:\n  y: [{a: }]\n", want: "x:\n  y: [{a: null}]\n"},
		{name: "block nulls stay empty", input: "a:\nb: ~\n", want: "a:\nb: ~\n"},
		{name: "empty strings stay strings", input: "{a: ''}\n", want: "{a: ''}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tt.input), &doc); err != nil {
				t.Fatal(err)
			}
			spellFlowNulls(&doc, false)
			if diff := cmp.Diff(tt.want, encodeNode(t, &doc)); diff != "" {
				t.Errorf("document (-want +got):\n%s", diff)
			}
		})
	}
}
