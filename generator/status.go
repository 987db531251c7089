package generator

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"unicode/utf16"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// StatusAnnotation, on a pod template, records what the overlay added, so a
// second run can replace it and Strip can remove exactly that.
const StatusAnnotation = Group + "/status"

// Status is the value of StatusAnnotation, as JSON.
type Status struct {
	Version        int      `json:"version"`
	Containers     []string `json:"containers,omitempty"`
	InitContainers []string `json:"initContainers,omitempty"`
	Volumes        []string `json:"volumes,omitempty"`
	Rewired        []Rewire `json:"rewired,omitempty"`
	// ShareProcessNamespace is the field's value before the overlay set it:
	// "unset" or "false"; empty when the overlay left it alone.
	ShareProcessNamespace string `json:"shareProcessNamespace,omitempty"`
	// Created lists the fields the overlay created, which Strip removes
	// again when they are left empty: "spec.containers" (only in a template
	// that had none), "spec.initContainers", "spec.volumes", "metadata",
	// "metadata.annotations".
	Created []string `json:"created,omitempty"`
}

// Rewire records one volumeMount moved from a volume to its copy.
type Rewire struct {
	Container string `json:"container"`
	MountPath string `json:"mountPath"`
	Volume    string `json:"volume"`
	Copy      string `json:"copy"`
}

const statusVersion = 1

// marshal writes the status as the annotation holds it: JSON in ASCII
// (other characters escaped), which both roads write single-quoted.
func (s *Status) marshal() ([]byte, error) {
	s.Version = statusVersion
	data, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var out []byte
	for i, r := range string(data) {
		if r < utf8.RuneSelf {
			if out != nil {
				out = append(out, byte(r))
			}
			continue
		}
		if out == nil {
			out = append(make([]byte, 0, len(data)+16), data[:i]...)
		}
		for _, u := range utf16.Encode([]rune{r}) {
			out = fmt.Appendf(out, `\u%04x`, u)
		}
	}
	if out == nil {
		return data, nil
	}
	return out, nil
}

func (s *Status) created(field string, yes bool) {
	if yes && !slices.Contains(s.Created, field) {
		s.Created = append(s.Created, field)
	}
}

// readStatus returns the status recorded on a pod template, if any.
func readStatus(tmpl *yaml.Node) (*Status, error) {
	v := mapPath(tmpl, "metadata", "annotations", StatusAnnotation)
	if v == nil {
		return nil, nil
	}
	var s Status
	if err := json.Unmarshal([]byte(v.Value), &s); err != nil {
		return nil, fmt.Errorf("annotation %s: %w", StatusAnnotation, err)
	}
	if s.Version != statusVersion {
		return nil, fmt.Errorf("annotation %s: unknown version %d", StatusAnnotation, s.Version)
	}
	return &s, nil
}

// writeStatus records s on the pod template.
func writeStatus(tmpl *yaml.Node, s *Status) error {
	meta, created, err := mapEnsure(tmpl, "metadata", yaml.MappingNode)
	if err != nil {
		return errors.New("not a mapping")
	}
	s.created("metadata", created)
	if created {
		moveBefore(tmpl, "metadata", "spec") // where people expect it
	}
	ann, created, err := mapEnsure(meta, "annotations", yaml.MappingNode)
	if err != nil {
		return err
	}
	s.created("metadata.annotations", created)
	data, err := s.marshal()
	if err != nil {
		return err
	}
	v := scalar(string(data))
	v.Style = styleOf(v.Value).yamlNodeStyle()
	mapSet(ann, StatusAnnotation, v)
	return nil
}

// stripTemplate removes from a pod template what its status says the
// overlay added. It reports whether there was anything to remove.
func stripTemplate(tmpl *yaml.Node) (bool, error) {
	s, err := readStatus(tmpl)
	if s == nil || err != nil {
		return false, err
	}
	spec := mapGet(tmpl, "spec")
	if spec == nil {
		return false, fmt.Errorf("annotation %s is set but the pod template has no spec", StatusAnnotation)
	}
	removeNamed(mapGet(spec, "containers"), s.Containers)
	removeNamed(mapGet(spec, "initContainers"), s.InitContainers)
	removeNamed(mapGet(spec, "volumes"), s.Volumes)
	for _, r := range s.Rewired {
		for _, list := range []string{"containers", "initContainers"} {
			for _, c := range seqItems(mapGet(spec, list)) {
				if name := mapGet(c, "name"); name == nil || name.Value != r.Container {
					continue
				}
				for _, m := range seqItems(mapGet(c, "volumeMounts")) {
					if v := mapGet(m, "name"); v != nil && v.Value == r.Copy && scalarValue(mapGet(m, "mountPath")) == r.MountPath {
						setStyled(v, r.Volume)
					}
				}
			}
		}
	}
	switch s.ShareProcessNamespace {
	case "unset":
		mapDelete(spec, "shareProcessNamespace")
	case "false":
		mapSet(spec, "shareProcessNamespace", boolNode(false))
	}
	meta := mapGet(tmpl, "metadata")
	mapDelete(mapGet(meta, "annotations"), StatusAnnotation)
	for _, field := range []string{"spec.containers", "spec.initContainers", "spec.volumes", "metadata.annotations", "metadata"} {
		if !slices.Contains(s.Created, field) {
			continue
		}
		parent, key := tmpl, field
		switch field {
		case "spec.containers", "spec.initContainers", "spec.volumes":
			parent, key = spec, field[len("spec."):]
		case "metadata.annotations":
			parent, key = meta, "annotations"
		}
		if v := mapGet(parent, key); v != nil && len(v.Content) == 0 {
			mapDelete(parent, key)
		}
	}
	return true, nil
}

func seqItems(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// removeNamed drops the items of a sequence of objects whose name is listed.
func removeNamed(seq *yaml.Node, names []string) {
	if seq == nil || seq.Kind != yaml.SequenceNode || len(names) == 0 {
		return
	}
	seq.Content = slices.DeleteFunc(seq.Content, func(item *yaml.Node) bool {
		name := mapGet(item, "name")
		return name != nil && slices.Contains(names, name.Value)
	})
}
