package podedit

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// Typed edits a typed pod template: a spec and its annotations, as the API
// server gives them, without any YAML. The overlay's edits change Spec and
// Annotations in place.
type Typed struct {
	Spec        *corev1.PodSpec
	Annotations map[string]string
	front       front
}

var _ overlay.Editor = (*Typed)(nil)

// PodSpec undoes an earlier overlay and returns a copy of the spec to read.
func (e *Typed) PodSpec() (*corev1.PodSpec, error) {
	if v, ok := e.Annotations[overlay.StatusAnnotation]; ok {
		s, err := overlay.ParseStatus(v)
		if err != nil {
			return nil, fmt.Errorf("metadata: %w", err)
		}
		stripTyped(e.Spec, s)
		for _, key := range append(s.Annotations, overlay.StatusAnnotation) {
			delete(e.Annotations, key)
		}
	}
	return e.Spec.DeepCopy(), nil
}

// Prepend puts v before the items the pod had.
func (e *Typed) Prepend(key string, v any) (bool, error) {
	return e.front.prepend(key, func(key string, i int) (bool, error) { return e.insert(key, i, v) })
}

// Append puts v at the end of the list.
func (e *Typed) Append(key string, v any) (bool, error) { return e.insert(key, -1, v) }

func (e *Typed) insert(key string, i int, v any) (bool, error) {
	switch key {
	case "containers", "initContainers":
		c, ok := v.(corev1.Container)
		if !ok {
			return false, fmt.Errorf("%s: got %T, want a container", key, v)
		}
		list := &e.Spec.Containers
		if key == "initContainers" {
			list = &e.Spec.InitContainers
		}
		return len(*list) == 0, insertAt(list, i, c)
	case "volumes":
		vol, ok := v.(corev1.Volume)
		if !ok {
			return false, fmt.Errorf("volumes: got %T, want a volume", v)
		}
		return len(e.Spec.Volumes) == 0, insertAt(&e.Spec.Volumes, i, vol)
	}
	return false, fmt.Errorf("%s: not a list the overlay adds to", key)
}

func insertAt[T any](list *[]T, i int, v T) error {
	if i < 0 || i > len(*list) {
		i = len(*list)
	}
	*list = slices.Insert(*list, i, v)
	return nil
}

// Rewire points every mount of a renamed volume at its copy.
func (e *Typed) Rewire(rename map[string]string) []overlay.Rewire {
	if len(rename) == 0 {
		return nil
	}
	var done []overlay.Rewire
	for _, list := range [][]corev1.Container{e.Spec.InitContainers, e.Spec.Containers} {
		for ci := range list {
			c := &list[ci]
			for mi := range c.VolumeMounts {
				m := &c.VolumeMounts[mi]
				if to, ok := rename[m.Name]; ok {
					done = append(done, overlay.Rewire{Container: c.Name, MountPath: m.MountPath, Volume: m.Name, Copy: to})
					m.Name = to
				}
			}
		}
	}
	return done
}

// AddMount puts m at the end of a container's volumeMounts.
func (e *Typed) AddMount(container string, m corev1.VolumeMount) (bool, error) {
	for _, list := range [][]corev1.Container{e.Spec.Containers, e.Spec.InitContainers} {
		for i := range list {
			if c := &list[i]; c.Name == container {
				created := len(c.VolumeMounts) == 0
				c.VolumeMounts = append(c.VolumeMounts, m)
				return created, nil
			}
		}
	}
	return false, fmt.Errorf("no container named %q", container)
}

// ShareProcessNamespace sets the field to true.
func (e *Typed) ShareProcessNamespace() { e.Spec.ShareProcessNamespace = ptr.To(true) }

// WriteStatus records st in the annotations.
func (e *Typed) WriteStatus(st *overlay.Status) error {
	st.MarkCreated("metadata.annotations", len(e.Annotations) == 0)
	data, err := st.Marshal()
	if err != nil {
		return err
	}
	if e.Annotations == nil {
		e.Annotations = map[string]string{}
	}
	for _, a := range st.Stamps {
		e.Annotations[a.Key] = a.Value
	}
	e.Annotations[overlay.StatusAnnotation] = string(data)
	return nil
}

// stripTyped removes from spec what s says the overlay added.
func stripTyped(spec *corev1.PodSpec, s *overlay.Status) {
	named := func(names []string) func(corev1.Container) bool {
		return func(c corev1.Container) bool { return slices.Contains(names, c.Name) }
	}
	spec.Containers = slices.DeleteFunc(spec.Containers, named(s.Containers))
	spec.InitContainers = slices.DeleteFunc(spec.InitContainers, named(s.InitContainers))
	spec.Volumes = slices.DeleteFunc(spec.Volumes, func(v corev1.Volume) bool { return slices.Contains(s.Volumes, v.Name) })
	for _, r := range s.Rewired {
		for _, list := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
			for ci := range list {
				if list[ci].Name != r.Container {
					continue
				}
				for mi := range list[ci].VolumeMounts {
					if m := &list[ci].VolumeMounts[mi]; m.Name == r.Copy && m.MountPath == r.MountPath {
						m.Name = r.Volume
					}
				}
			}
		}
	}
	for _, m := range s.Mounts {
		for _, list := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
			for ci := range list {
				if c := &list[ci]; c.Name == m.Container {
					c.VolumeMounts = slices.DeleteFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool {
						return vm.Name == m.Volume && vm.MountPath == m.MountPath
					})
					if m.Created && len(c.VolumeMounts) == 0 {
						c.VolumeMounts = nil
					}
				}
			}
		}
	}
	switch s.ShareProcessNamespace {
	case overlay.ShareProcessNamespaceUnset:
		spec.ShareProcessNamespace = nil
	case overlay.ShareProcessNamespaceFalse:
		spec.ShareProcessNamespace = ptr.To(false)
	}
}
