package podedit

import (
	"errors"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/yamltree"
)

// Tree edits a pod template parsed by yaml.v3, which any YAML can be: in
// place, so comments, key order and unknown fields survive the encoding
// that follows.
type Tree struct {
	tmpl, spec *yaml.Node
	front      front
}

var _ overlay.Editor = (*Tree)(nil)

// NewTree returns the editor of the pod template tmpl (the object itself
// for a Pod).
func NewTree(tmpl *yaml.Node) *Tree { return &Tree{tmpl: tmpl} }

// PodSpec undoes an earlier overlay and decodes the pod spec.
func (e *Tree) PodSpec() (*corev1.PodSpec, error) {
	if _, err := StripTree(e.tmpl); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	e.spec = yamltree.MapGet(e.tmpl, "spec")
	if e.spec == nil || e.spec.Kind != yaml.MappingNode {
		return nil, errors.New("spec: missing or not a mapping")
	}
	var pod corev1.PodSpec
	if err := yamltree.Decode(e.spec, &pod); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	return &pod, nil
}

// Prepend puts v before the items the pod had.
func (e *Tree) Prepend(key string, v any) (bool, error) {
	return e.front.prepend(key, func(key string, i int) (bool, error) { return e.insert(key, i, v) })
}

// Append puts v at the end of the list.
func (e *Tree) Append(key string, v any) (bool, error) { return e.insert(key, -1, v) }

// insert puts v at index i (-1: the end) of the list at key.
func (e *Tree) insert(key string, i int, v any) (bool, error) {
	n, err := yamltree.ToNode(v)
	if err != nil {
		return false, fmt.Errorf("encoding %s: %w", key, err)
	}
	seq, created, err := yamltree.MapEnsure(e.spec, key, yaml.SequenceNode)
	if err != nil {
		return false, err
	}
	seq.Style &^= yaml.FlowStyle // `volumes: []` would put the new items in flow style too
	if i < 0 || i > len(seq.Content) {
		i = len(seq.Content)
	}
	seq.Content = slices.Insert(seq.Content, i, n)
	return created, nil
}

// Rewire points every mount of a renamed volume at its copy.
func (e *Tree) Rewire(rename map[string]string) []overlay.Rewire {
	if len(rename) == 0 {
		return nil
	}
	var done []overlay.Rewire
	for _, list := range []string{"initContainers", "containers"} {
		for _, c := range yamltree.Items(yamltree.MapGet(e.spec, list)) {
			for _, m := range yamltree.Items(yamltree.MapGet(c, "volumeMounts")) {
				name := yamltree.MapGet(m, "name")
				if name == nil {
					continue
				}
				to, ok := rename[name.Value]
				if !ok {
					continue
				}
				done = append(done, overlay.Rewire{Container: yamltree.Value(yamltree.MapGet(c, "name")),
					MountPath: yamltree.Value(yamltree.MapGet(m, "mountPath")), Volume: name.Value, Copy: to})
				yamltree.SetStyled(name, to)
			}
		}
	}
	return done
}

// AddMount puts m at the end of a container's volumeMounts.
func (e *Tree) AddMount(container string, m corev1.VolumeMount) (bool, error) {
	c := findContainer(e.spec, container)
	if c == nil {
		return false, fmt.Errorf("no container named %q", container)
	}
	n, err := yamltree.ToNode(m)
	if err != nil {
		return false, fmt.Errorf("encoding volumeMounts: %w", err)
	}
	seq, created, err := yamltree.MapEnsure(c, "volumeMounts", yaml.SequenceNode)
	if err != nil {
		return false, fmt.Errorf("volumeMounts: %w", err)
	}
	seq.Style &^= yaml.FlowStyle
	seq.Content = append(seq.Content, n)
	return created, nil
}

// findContainer returns the container or init container named name of a
// pod spec, nil when there is none.
func findContainer(spec *yaml.Node, name string) *yaml.Node {
	for _, list := range []string{"containers", "initContainers"} {
		for _, c := range yamltree.Items(yamltree.MapGet(spec, list)) {
			if yamltree.Value(yamltree.MapGet(c, "name")) == name {
				return c
			}
		}
	}
	return nil
}

// ShareProcessNamespace sets the field to true.
func (e *Tree) ShareProcessNamespace() {
	yamltree.MapSet(e.spec, "shareProcessNamespace", yamltree.Bool(true))
}

// WriteStatus records st in the template's annotations, before spec when
// it creates the metadata, where people expect it.
func (e *Tree) WriteStatus(st *overlay.Status) error {
	meta, created, err := yamltree.MapEnsure(e.tmpl, "metadata", yaml.MappingNode)
	if err != nil {
		return errors.New("not a mapping")
	}
	st.MarkCreated("metadata", created)
	if created {
		yamltree.MoveBefore(e.tmpl, "metadata", "spec")
	}
	ann, created, err := yamltree.MapEnsure(meta, "annotations", yaml.MappingNode)
	if err != nil {
		return err
	}
	st.MarkCreated("metadata.annotations", created)
	data, err := st.Marshal()
	if err != nil {
		return err
	}
	for _, a := range append(st.Stamps, overlay.Stamp{Key: overlay.StatusAnnotation, Value: string(data)}) {
		v := yamltree.Scalar(a.Value)
		yamltree.SetStyled(v, a.Value)
		yamltree.MapSet(ann, a.Key, v)
	}
	return nil
}

// ReadStatus returns the status recorded on a pod template, if any.
func ReadStatus(tmpl *yaml.Node) (*overlay.Status, error) {
	v := yamltree.MapPath(tmpl, "metadata", "annotations", overlay.StatusAnnotation)
	if v == nil {
		return nil, nil
	}
	return overlay.ParseStatus(v.Value)
}

// StripTree removes from a pod template what its status says the overlay
// added. It reports whether there was anything to remove.
func StripTree(tmpl *yaml.Node) (bool, error) {
	s, err := ReadStatus(tmpl)
	if s == nil || err != nil {
		return false, err
	}
	spec := yamltree.MapGet(tmpl, "spec")
	if spec == nil {
		return false, fmt.Errorf("annotation %s is set but the pod template has no spec", overlay.StatusAnnotation)
	}
	for _, list := range overlay.AddedLists {
		removeNamed(yamltree.MapGet(spec, list), s.Added(list))
	}
	for _, r := range s.Rewired {
		for _, list := range []string{"containers", "initContainers"} {
			for _, c := range yamltree.Items(yamltree.MapGet(spec, list)) {
				if name := yamltree.MapGet(c, "name"); name == nil || name.Value != r.Container {
					continue
				}
				for _, m := range yamltree.Items(yamltree.MapGet(c, "volumeMounts")) {
					if v := yamltree.MapGet(m, "name"); v != nil && v.Value == r.Copy && yamltree.Value(yamltree.MapGet(m, "mountPath")) == r.MountPath {
						yamltree.SetStyled(v, r.Volume)
					}
				}
			}
		}
	}
	for _, m := range s.Mounts {
		c := findContainer(spec, m.Container)
		mounts := yamltree.MapGet(c, "volumeMounts")
		if mounts == nil || mounts.Kind != yaml.SequenceNode {
			continue
		}
		mounts.Content = slices.DeleteFunc(mounts.Content, func(item *yaml.Node) bool {
			return yamltree.Value(yamltree.MapGet(item, "name")) == m.Volume && yamltree.Value(yamltree.MapGet(item, "mountPath")) == m.MountPath
		})
		if m.Created && len(mounts.Content) == 0 {
			yamltree.MapDelete(c, "volumeMounts")
		}
	}
	switch s.ShareProcessNamespace {
	case overlay.ShareProcessNamespaceUnset:
		yamltree.MapDelete(spec, "shareProcessNamespace")
	case overlay.ShareProcessNamespaceFalse:
		yamltree.MapSet(spec, "shareProcessNamespace", yamltree.Bool(false))
	}
	meta := yamltree.MapGet(tmpl, "metadata")
	for _, key := range append(s.Annotations, overlay.StatusAnnotation) {
		yamltree.MapDelete(yamltree.MapGet(meta, "annotations"), key)
	}
	for _, field := range overlay.CreatedFields {
		if !s.WasCreated(field) {
			continue
		}
		parent, key := tmpl, field
		switch field {
		case "spec.containers", "spec.initContainers", "spec.volumes":
			parent, key = spec, field[len("spec."):]
		case "metadata.annotations":
			parent, key = meta, "annotations"
		}
		if v := yamltree.MapGet(parent, key); v != nil && len(v.Content) == 0 {
			yamltree.MapDelete(parent, key)
		}
	}
	return true, nil
}

// removeNamed drops the items of a sequence of objects whose name is listed.
func removeNamed(seq *yaml.Node, names []string) {
	if seq == nil || seq.Kind != yaml.SequenceNode || len(names) == 0 {
		return
	}
	seq.Content = slices.DeleteFunc(seq.Content, func(item *yaml.Node) bool {
		name := yamltree.MapGet(item, "name")
		return name != nil && slices.Contains(names, name.Value)
	})
}
