package generator

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
)

// podEditor reads one pod template and makes the overlay's edits to it.
// Two kinds exist: treeEditor edits yaml.v3 nodes, which any YAML can be
// parsed into; spliceEditor inserts text into the original bytes of the
// block-style documents that a blockDoc can index, which is most of what
// Helm renders, and much faster.
type podEditor interface {
	// podSpec returns the pod spec to read; apply calls it first, once.
	podSpec(t *podTarget) (*corev1.PodSpec, error)
	// insert puts v into the list at key of the pod spec, at index i (-1:
	// the end), creating the list when needed.
	insert(key string, i int, v any, st *Status) error
	// rewire points every mount of a renamed volume, in every container
	// and init container, at its copy.
	rewire(rename map[string]string) []Rewire
	// shareProcessNamespace sets the pod spec's field to true.
	shareProcessNamespace()
	// writeStatus records st on the pod template.
	writeStatus(st *Status) error
}

// treeEditor edits a pod template parsed by yaml.v3.
type treeEditor struct {
	tmpl, spec *yaml.Node
}

func (e *treeEditor) podSpec(t *podTarget) (*corev1.PodSpec, error) {
	if _, err := stripTemplate(e.tmpl); err != nil {
		return nil, fmt.Errorf("%s: %w", t.path("metadata"), err)
	}
	e.spec = mapGet(e.tmpl, "spec")
	if e.spec == nil || e.spec.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: missing or not a mapping", t.path("spec"))
	}
	var pod corev1.PodSpec
	if err := decodeNode(e.spec, &pod); err != nil {
		return nil, fmt.Errorf("%s: %w", t.path("spec"), err)
	}
	return &pod, nil
}

func (e *treeEditor) insert(key string, i int, v any, st *Status) error {
	return insertItem(e.spec, key, i, v, st)
}

func (e *treeEditor) rewire(rename map[string]string) []Rewire {
	return rewireMounts(e.spec, rename)
}

func (e *treeEditor) shareProcessNamespace() {
	mapSet(e.spec, "shareProcessNamespace", boolNode(true))
}

func (e *treeEditor) writeStatus(st *Status) error {
	return writeStatus(e.tmpl, st)
}

// rewireMounts points every mount of a renamed volume, in every container
// and init container, at its copy.
func rewireMounts(spec *yaml.Node, rename map[string]string) []Rewire {
	if len(rename) == 0 {
		return nil
	}
	var done []Rewire
	for _, list := range []string{"initContainers", "containers"} {
		for _, c := range seqItems(mapGet(spec, list)) {
			for _, m := range seqItems(mapGet(c, "volumeMounts")) {
				name := mapGet(m, "name")
				if name == nil {
					continue
				}
				to, ok := rename[name.Value]
				if !ok {
					continue
				}
				done = append(done, Rewire{Container: scalarValue(mapGet(c, "name")),
					MountPath: scalarValue(mapGet(m, "mountPath")), Volume: name.Value, Copy: to})
				setStyled(name, to)
			}
		}
	}
	return done
}

// insertItem inserts v at index i (-1: the end) of the list at key.
func insertItem(spec *yaml.Node, key string, i int, v any, st *Status) error {
	n, err := toNode(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", key, err)
	}
	seq, created, err := mapEnsure(spec, key, yaml.SequenceNode)
	if err != nil {
		return err
	}
	st.created("spec."+key, created)
	seq.Style &^= yaml.FlowStyle // `volumes: []` would put the new items in flow style too
	if i < 0 || i > len(seq.Content) {
		i = len(seq.Content)
	}
	seq.Content = slices.Insert(seq.Content, i, n)
	return nil
}
