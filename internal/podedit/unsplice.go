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
	u := &unsplicer{d: d, s: s, spec: spec, specLeft: d.Len(spec), removed: map[blockyaml.Node]bool{}}
	if !u.lists() || !u.shareProcessNamespace() {
		return nil, false
	}
	u.rewired()
	if u.specLeft == 0 {
		return nil, false // the spec would be empty: the tree road writes {}
	}
	if !u.metadata(d.Get(tmpl, "metadata"), ann, sa) {
		return nil, false
	}
	return blockyaml.Apply(make([]byte, 0, len(d.Body())), nil, d.Body(), u.edits)
}

// unsplicer gathers the edits that undo one overlay: each method undoes
// one kind of addition, and returns false for a shape it cannot undo
// exactly.
type unsplicer struct {
	d        *blockyaml.Doc
	s        *overlay.Status
	spec     blockyaml.Node
	specLeft int                     // entries of the spec that stay
	removed  map[blockyaml.Node]bool // list items cut out
	edits    []blockyaml.Edit
}

func (u *unsplicer) cut(n blockyaml.Node) {
	from, to := u.d.Entry(n)
	u.edits = append(u.edits, blockyaml.Edit{From: from, To: to})
}

// lists cuts the items the overlay added to the pod spec's lists, and a
// list it created.
func (u *unsplicer) lists() bool {
	d := u.d
	for _, key := range overlay.AddedLists {
		list, names := d.Get(u.spec, key), u.s.Added(key)
		if list < 0 || len(names) == 0 {
			continue
		}
		if d.Kind(list) != blockyaml.Seq {
			return false
		}
		var cuts []blockyaml.Node
		left := 0
		for it := range d.Children(list) {
			name, ok := d.Str(d.Get(it, "name"))
			if ok && slices.Contains(names, name) {
				cuts = append(cuts, it)
				u.removed[it] = true
			} else {
				left++
			}
		}
		switch {
		case left > 0:
			for _, it := range cuts {
				u.cut(it)
			}
		case u.s.WasCreated("spec." + key):
			u.cut(list)
			u.specLeft--
		default:
			u.edits = append(u.edits, d.Emptied(list, "[]"))
		}
	}
	return true
}

// rewired points the mounts the overlay moved to copies back at their
// volumes.
func (u *unsplicer) rewired() {
	d := u.d
	for _, r := range u.s.Rewired {
		for _, key := range []string{"containers", "initContainers"} {
			for c := range d.Children(u.seq(d.Get(u.spec, key))) {
				if name, _ := d.Str(d.Get(c, "name")); u.removed[c] || name != r.Container {
					continue
				}
				for m := range d.Children(u.seq(d.Get(c, "volumeMounts"))) {
					name := d.Get(m, "name")
					vol, _ := d.Str(name)
					if mp, _ := d.Str(d.Get(m, "mountPath")); vol == r.Copy && mp == r.MountPath {
						from, to := d.Value(name)
						u.edits = append(u.edits, blockyaml.Edit{From: from, To: to, Text: []byte(blockyaml.String(r.Volume))})
					}
				}
			}
		}
	}
}

// seq is n if it is a list, else none.
func (u *unsplicer) seq(n blockyaml.Node) blockyaml.Node {
	if u.d.Kind(n) != blockyaml.Seq {
		return -1
	}
	return n
}

// shareProcessNamespace gives the field back its value from before.
func (u *unsplicer) shareProcessNamespace() bool {
	d := u.d
	spn := d.Get(u.spec, "shareProcessNamespace")
	if spn < 0 {
		return true
	}
	switch u.s.ShareProcessNamespace {
	case overlay.ShareProcessNamespaceUnset:
		u.cut(spn)
		u.specLeft--
	case overlay.ShareProcessNamespaceFalse:
		if !d.Plain(spn) {
			return false
		}
		from, to := d.Value(spn)
		u.edits = append(u.edits, blockyaml.Edit{From: from, To: to, Text: []byte("false")})
	}
	return true
}

// metadata cuts the status annotation sa and the stamps, and the
// annotations or metadata the overlay created.
func (u *unsplicer) metadata(md, ann, sa blockyaml.Node) bool {
	d := u.d
	ours := []blockyaml.Node{sa}
	for _, key := range u.s.Annotations {
		if a := d.Get(ann, key); a >= 0 {
			ours = append(ours, a)
		}
	}
	annotations, metadata := d.Len(ann), d.Len(md)
	switch {
	case annotations > len(ours):
		for _, a := range ours {
			u.cut(a)
		}
	case !u.s.WasCreated("metadata.annotations"):
		u.edits = append(u.edits, d.Emptied(ann, "{}"))
	case metadata == 1 && u.s.WasCreated("metadata"):
		u.cut(md)
	case metadata == 1:
		return false // the metadata would be empty: the tree road writes {}
	default:
		u.cut(ann)
	}
	return true
}
