package overlay

import (
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

// StatusAnnotation, on a pod template, records what the overlay added, so a
// second run can replace it and a strip can remove exactly that.
const StatusAnnotation = Group + "/status"

// Status is the value of StatusAnnotation, as JSON.
type Status struct {
	Version        int      `json:"version"`
	Containers     []string `json:"containers,omitempty"`
	InitContainers []string `json:"initContainers,omitempty"`
	Volumes        []string `json:"volumes,omitempty"`
	Rewired        []Rewire `json:"rewired,omitempty"`
	// Mounts lists the volumeMounts the overlay added to the pod's own
	// containers (the tools').
	Mounts []Mount `json:"mounts,omitempty"`
	// ShareProcessNamespace is the field's value before the overlay set it:
	// "unset" or "false"; empty when the overlay left it alone.
	ShareProcessNamespace string `json:"shareProcessNamespace,omitempty"`
	// Annotations lists the annotations of ours, besides this one, that the
	// overlay stamped on the pod template (ExpiresAnnotation,
	// ReasonAnnotation), which a strip removes.
	Annotations []string `json:"annotations,omitempty"`
	// Stamps are those annotations and their values, in the order an
	// editor writes them, before this one.
	Stamps []Stamp `json:"-"`
	// Created lists the fields the overlay created, which a strip removes
	// again when they are left empty: "spec.containers" (only in a template
	// that had none), "spec.initContainers", "spec.volumes", "metadata",
	// "metadata.annotations".
	Created []string `json:"created,omitempty"`
}

// Stamp is an annotation the overlay puts on a pod template.
type Stamp struct{ Key, Value string }

// Rewire records one volumeMount moved from a volume to its copy.
type Rewire struct {
	Container string `json:"container"`
	MountPath string `json:"mountPath"`
	Volume    string `json:"volume"`
	Copy      string `json:"copy"`
}

// Mount records one volumeMount the overlay added to a container of the
// pod's own, at the end of its volumeMounts.
type Mount struct {
	Container string `json:"container"`
	Volume    string `json:"volume"`
	MountPath string `json:"mountPath"`
	// Created says the container had no volumeMounts before: a strip
	// removes the list again when it is left empty.
	Created bool `json:"created,omitempty"`
}

// AddedMount reports whether the volumeMount named volume at mountPath of
// container is one the overlay added.
func (s *Status) AddedMount(container, volume, mountPath string) (Mount, bool) {
	for _, m := range s.Mounts {
		if m.Container == container && m.Volume == volume && m.MountPath == mountPath {
			return m, true
		}
	}
	return Mount{}, false
}

// The values of Status.ShareProcessNamespace.
const (
	ShareProcessNamespaceUnset = "unset"
	ShareProcessNamespaceFalse = "false"
)

// The fields Status.Created names, in the order a strip removes them when
// they are left empty: lists before the mappings that hold them.
var CreatedFields = []string{"spec.containers", "spec.initContainers", "spec.volumes", "metadata.annotations", "metadata"}

const statusVersion = 1

// ParseStatus reads the value of StatusAnnotation.
func ParseStatus(value string) (*Status, error) {
	var s Status
	if err := json.Unmarshal([]byte(value), &s); err != nil {
		return nil, fmt.Errorf("annotation %s: %w", StatusAnnotation, err)
	}
	if s.Version != statusVersion {
		return nil, fmt.Errorf("annotation %s: unknown version %d", StatusAnnotation, s.Version)
	}
	return &s, nil
}

// Marshal writes the status as the annotation holds it: JSON in ASCII
// (other characters escaped), which every road writes single-quoted.
func (s *Status) Marshal() ([]byte, error) {
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

// MarkCreated records that the overlay created field (one of
// CreatedFields) when yes.
func (s *Status) MarkCreated(field string, yes bool) {
	if yes && !slices.Contains(s.Created, field) {
		s.Created = append(s.Created, field)
	}
}

// WasCreated reports whether the overlay created field.
func (s *Status) WasCreated(field string) bool { return slices.Contains(s.Created, field) }

// Added returns the names the overlay added to the list field of the pod
// spec ("containers", "initContainers" or "volumes").
func (s *Status) Added(list string) []string {
	switch list {
	case "containers":
		return s.Containers
	case "initContainers":
		return s.InitContainers
	case "volumes":
		return s.Volumes
	}
	return nil
}

// AddedLists are the list fields of the pod spec the overlay adds to, in
// the order a strip visits them.
var AddedLists = []string{"containers", "initContainers", "volumes"}
