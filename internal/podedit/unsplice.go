package podedit

import (
	"slices"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/blockyaml"
)

// Unsplice removes from the pod template tmpl of an indexed document what
// its status annotation says the overlay added, by cutting it out of the
// text, and returns the new body. Undoing a spliced overlay so gives back
// the original bytes (volume names the overlay rewired come back plain or
// single-quoted). ok false means "leave it to the tree road": a shape it
// cannot undo exactly, such as a list the overlay filled that was `[]`
// before, or a status it cannot read (the tree road says what is wrong).
func Unsplice(d *blockyaml.Doc, tmpl blockyaml.Node) (body []byte, ok bool) {
	ann := d.Path(tmpl, "metadata", "annotations")
	sa := d.Get(ann, overlay.StatusAnnotation)
	value, ok := d.Str(sa)
	if !ok {
		return nil, false
	}
	s, err := overlay.ParseStatus(value)
	if err != nil {
		return nil, false
	}
	spec := d.Get(tmpl, "spec")
	if d.Kind(spec) != blockyaml.Map {
		return nil, false
	}
	var edits []blockyaml.Edit
	cut := func(n blockyaml.Node) {
		from, to := d.Entry(n)
		edits = append(edits, blockyaml.Edit{From: from, To: to})
	}
	specLeft := d.Len(spec) // entries of the spec that stay
	removed := map[blockyaml.Node]bool{}
	for _, key := range overlay.AddedLists {
		list, names := d.Get(spec, key), s.Added(key)
		if list < 0 || len(names) == 0 {
			continue
		}
		if d.Kind(list) != blockyaml.Seq {
			return nil, false
		}
		var cuts []blockyaml.Node
		left := 0
		for it := range d.Children(list) {
			name, ok := d.Str(d.Get(it, "name"))
			if ok && slices.Contains(names, name) {
				cuts = append(cuts, it)
				removed[it] = true
			} else {
				left++
			}
		}
		switch {
		case left > 0:
			for _, it := range cuts {
				cut(it)
			}
		case s.WasCreated("spec." + key):
			cut(list)
			specLeft--
		default:
			edits = append(edits, d.Emptied(list, "[]"))
		}
	}
	if !unspliceMounts(d, spec, s, removed, cut, func(e blockyaml.Edit) { edits = append(edits, e) }) {
		return nil, false
	}
	for _, r := range s.Rewired {
		for _, key := range []string{"containers", "initContainers"} {
			list := d.Get(spec, key)
			if d.Kind(list) != blockyaml.Seq {
				continue
			}
			for c := range d.Children(list) {
				if removed[c] {
					continue
				}
				if name, _ := d.Str(d.Get(c, "name")); name != r.Container {
					continue
				}
				mounts := d.Get(c, "volumeMounts")
				if d.Kind(mounts) != blockyaml.Seq {
					continue
				}
				for m := range d.Children(mounts) {
					name := d.Get(m, "name")
					vol, _ := d.Str(name)
					if mp, _ := d.Str(d.Get(m, "mountPath")); vol == r.Copy && mp == r.MountPath {
						from, to := d.Value(name)
						edits = append(edits, blockyaml.Edit{From: from, To: to, Text: []byte(blockyaml.String(r.Volume))})
					}
				}
			}
		}
	}
	if spn := d.Get(spec, "shareProcessNamespace"); spn >= 0 {
		switch s.ShareProcessNamespace {
		case overlay.ShareProcessNamespaceUnset:
			cut(spn)
			specLeft--
		case overlay.ShareProcessNamespaceFalse:
			if !d.Plain(spn) {
				return nil, false
			}
			from, to := d.Value(spn)
			edits = append(edits, blockyaml.Edit{From: from, To: to, Text: []byte("false")})
		}
	}
	if specLeft == 0 {
		return nil, false // the spec would be empty: the tree road writes {}
	}
	md := d.Get(tmpl, "metadata")
	ours := []blockyaml.Node{sa}
	for _, key := range s.Annotations {
		if a := d.Get(ann, key); a >= 0 {
			ours = append(ours, a)
		}
	}
	annotations, metadata := d.Len(ann), d.Len(md)
	switch {
	case annotations > len(ours):
		for _, a := range ours {
			cut(a)
		}
	case !s.WasCreated("metadata.annotations"):
		edits = append(edits, d.Emptied(ann, "{}"))
	case metadata == 1 && s.WasCreated("metadata"):
		cut(md)
	case metadata == 1:
		return nil, false // the metadata would be empty: the tree road writes {}
	default:
		cut(ann)
	}
	return blockyaml.Apply(make([]byte, 0, len(d.Body())), nil, d.Body(), edits)
}

// unspliceMounts cuts the volumeMounts the overlay added to the pod's own
// containers (s.Mounts), and the lists it created for them; false means a
// shape it cannot undo exactly.
func unspliceMounts(d *blockyaml.Doc, spec blockyaml.Node, s *overlay.Status, removed map[blockyaml.Node]bool, cut func(blockyaml.Node), edit func(blockyaml.Edit)) bool {
	var done []string
	for _, m := range s.Mounts {
		if slices.Contains(done, m.Container) {
			continue
		}
		done = append(done, m.Container)
		c := spliceContainer(d, spec, m.Container)
		if c < 0 || removed[c] {
			continue
		}
		mounts := d.Get(c, "volumeMounts")
		if mounts < 0 {
			continue
		}
		if d.Kind(mounts) != blockyaml.Seq {
			return false
		}
		var ours []blockyaml.Node
		left, created := 0, false
		for it := range d.Children(mounts) {
			name, _ := d.Str(d.Get(it, "name"))
			path, _ := d.Str(d.Get(it, "mountPath"))
			if added, ok := s.AddedMount(m.Container, name, path); ok {
				ours = append(ours, it)
				created = created || added.Created
			} else {
				left++
			}
		}
		switch {
		case len(ours) == 0:
		case left > 0:
			for _, it := range ours {
				cut(it)
			}
		case created:
			cut(mounts)
		default:
			edit(d.Emptied(mounts, "[]"))
		}
	}
	return true
}
