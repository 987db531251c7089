package podedit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/blockyaml"
	"github.com/debug-overlay/debug-overlay/internal/yamltree"
)

// Splice edits a pod template by inserting text into the bytes of its
// block YAML document (the fast road, issue 6): everything the overlay
// does not touch stays byte for byte as it was, comments and formatting
// included. It reads only the fields of the pod spec that the overlay
// declares (overlay.PodFields), from the index, without a YAML parse.
type Splice struct {
	d          *blockyaml.Doc
	tmpl, spec blockyaml.Node
	pod        *corev1.PodSpec
	compact    bool             // the document's lists have their dashes under their key
	edits      []blockyaml.Edit // in the order made
	tail       []tailKey
	opened     []blockyaml.Node // `[]` lists made block lists, null lists removed
	front      front
	cache      *Cache
}

var _ overlay.Editor = (*Splice)(nil)

// Cache remembers rendered items across the workloads of a run: the copy
// container and its volume repeat. Its zero value is ready to use.
type Cache struct {
	items map[renderKey][]byte
}

// renderKey is an item as JSON, and the list style it is rendered in.
type renderKey struct {
	json    string
	compact bool
}

// maxRendered bounds the rendered items a run remembers.
const maxRendered = 256

// tailKey is a field the editor creates at the end of the pod spec.
type tailKey struct {
	key   string
	items [][]byte // rendered list items, unindented
	value string   // a scalar value instead
}

// NewSplice returns the editor of the pod template at path in the indexed
// document d, with an overlay of an earlier run cut out of the text first
// (d is indexed again then), or false when that cannot be done exactly, a
// place it may edit has a shape it does not edit (flow lists, anchors:
// valid YAML that the tree road edits), or the pod spec needs yaml.v3 to
// be read. Nothing has changed then. buf is scratch memory.
func NewSplice(d *blockyaml.Doc, path []string, cache *Cache, buf []byte) (*Splice, bool) {
	tmpl := d.Path(blockyaml.Root, path...)
	if d.Get(d.Path(tmpl, "metadata", "annotations"), overlay.StatusAnnotation) >= 0 {
		stripped, ok := Unsplice(d, tmpl)
		if !ok || !d.Index(stripped) {
			return nil, false
		}
		tmpl = d.Path(blockyaml.Root, path...)
	}
	spec := d.Get(tmpl, "spec")
	if d.Kind(tmpl) != blockyaml.Map || d.Kind(spec) != blockyaml.Map || !editable(d, tmpl, spec) {
		return nil, false
	}
	pod, err := podSpec(d, spec, buf)
	if err != nil {
		return nil, false
	}
	return &Splice{d: d, tmpl: tmpl, spec: spec, pod: pod, compact: d.CompactSequences(), cache: cache}, true
}

// editable reports whether every place the splice editor may touch has a
// shape it can edit: lists that are block sequences of mappings, names
// that are one-line scalars, metadata that is a block mapping.
func editable(d *blockyaml.Doc, tmpl, spec blockyaml.Node) bool {
	for _, key := range overlay.AddedLists {
		list := d.Get(spec, key)
		if list < 0 || d.EmptyFlow(list, '[') || d.IsNull(list) {
			continue
		}
		if d.Kind(list) != blockyaml.Seq {
			return false
		}
		if key == "volumes" {
			continue
		}
		for c := range d.Children(list) {
			if d.Kind(c) != blockyaml.Map {
				return false
			}
			if _, ok := d.StrOrAbsent(d.Get(c, "name")); !ok {
				return false
			}
			mounts := d.Get(c, "volumeMounts")
			if mounts < 0 {
				continue
			}
			if d.Kind(mounts) != blockyaml.Seq {
				return false
			}
			for m := range d.Children(mounts) {
				if d.Kind(m) != blockyaml.Map {
					return false
				}
				if _, ok := d.StrOrAbsent(d.Get(m, "name")); !ok {
					return false
				}
				if _, ok := d.StrOrAbsent(d.Get(m, "mountPath")); !ok {
					return false
				}
			}
		}
	}
	if spn := d.Get(spec, "shareProcessNamespace"); spn >= 0 && d.Kind(spn) != blockyaml.Scalar {
		return false
	}
	md := d.Get(tmpl, "metadata")
	ann := d.Get(md, "annotations")
	return d.MapOrAbsent(md) && (d.MapOrAbsent(ann) || d.EmptyFlow(ann, '{'))
}

// PodSpec returns the fields of the pod spec the overlay reads.
func (e *Splice) PodSpec() (*corev1.PodSpec, error) { return e.pod, nil }

// Prepend puts v before the items the pod had.
func (e *Splice) Prepend(key string, v any) (bool, error) {
	return e.front.prepend(key, func(key string, i int) (bool, error) { return e.insert(key, i, v) })
}

// Append puts v at the end of the list.
func (e *Splice) Append(key string, v any) (bool, error) { return e.insert(key, -1, v) }

// insert puts v into the list at key: at the end (i < 0), or as the i-th
// of the items put in front.
func (e *Splice) insert(key string, i int, v any) (bool, error) {
	item, err := e.render(v)
	if err != nil {
		return false, fmt.Errorf("encoding %s: %w", key, err)
	}
	d := e.d
	list := d.Get(e.spec, key)
	if list >= 0 && d.IsNull(list) {
		// The tree road drops a null list and creates it at the end.
		if !slices.Contains(e.opened, list) {
			e.opened = append(e.opened, list)
			from, to := d.Entry(list)
			e.edits = append(e.edits, blockyaml.Edit{From: from, To: to})
		}
		list = blockyaml.None
	}
	if list < 0 {
		k := slices.IndexFunc(e.tail, func(t tailKey) bool { return t.key == key })
		if k < 0 {
			e.tail = append(e.tail, tailKey{key: key})
			k = len(e.tail) - 1
		}
		items := e.tail[k].items
		if i < 0 || i > len(items) {
			i = len(items)
		}
		e.tail[k].items = slices.Insert(items, i, item)
		return true, nil
	}
	_, end := d.Entry(list)
	if d.EmptyFlow(list, '[') {
		// `key: []` becomes `key:` with the items below, in block style
		// as the tree road writes it.
		if !slices.Contains(e.opened, list) {
			e.opened = append(e.opened, list)
			_, to := d.Value(list)
			e.edits = append(e.edits, blockyaml.Edit{From: d.ValueStart(list), To: to})
		}
		dash := d.Col(d.Parent(list))
		if !e.compact {
			dash += 2
		}
		e.edits = append(e.edits, blockyaml.Edit{From: end, To: end, Text: blockyaml.AppendItem(nil, item, dash)})
		return false, nil
	}
	at := end
	if i >= 0 {
		for first := range d.Children(list) {
			at, _ = d.Entry(first) // before the pod's own first item
			break
		}
	}
	e.edits = append(e.edits, blockyaml.Edit{From: at, To: at, Text: blockyaml.AppendItem(nil, item, d.Col(list))})
	return false, nil
}

// Rewire renames, in place, every mount of a renamed volume.
func (e *Splice) Rewire(rename map[string]string) []overlay.Rewire {
	if len(rename) == 0 {
		return nil
	}
	d := e.d
	var done []overlay.Rewire
	for _, key := range []string{"initContainers", "containers"} {
		list := d.Get(e.spec, key)
		if d.Kind(list) != blockyaml.Seq {
			continue
		}
		for c := range d.Children(list) {
			for m := range d.Children(d.Get(c, "volumeMounts")) {
				name := d.Get(m, "name")
				if name < 0 {
					continue
				}
				volume, _ := d.Str(name) // editable checked it
				to, ok := rename[volume]
				if !ok {
					continue
				}
				cname, _ := d.StrOrAbsent(d.Get(c, "name"))
				mountPath, _ := d.StrOrAbsent(d.Get(m, "mountPath"))
				done = append(done, overlay.Rewire{Container: cname, MountPath: mountPath, Volume: volume, Copy: to})
				e.replace(name, blockyaml.String(to))
			}
		}
	}
	return done
}

// AddMount puts m at the end of a container's volumeMounts, or below a
// new volumeMounts key at the end of the container (editable has checked
// that a list there is a block list).
func (e *Splice) AddMount(container string, m corev1.VolumeMount) (bool, error) {
	d := e.d
	c := spliceContainer(d, e.spec, container)
	if c < 0 {
		return false, fmt.Errorf("no container named %q", container)
	}
	item, err := e.render(m)
	if err != nil {
		return false, fmt.Errorf("encoding volumeMounts: %w", err)
	}
	if mounts := d.Get(c, "volumeMounts"); mounts >= 0 {
		_, end := d.Entry(mounts)
		e.edits = append(e.edits, blockyaml.Edit{From: end, To: end, Text: blockyaml.AppendItem(nil, item, d.Col(mounts))})
		return false, nil
	}
	col := d.Col(c)
	dash := col
	if !e.compact {
		dash += 2
	}
	text := blockyaml.AppendItem(fmt.Appendf(nil, "%svolumeMounts:\n", blockyaml.Spaces(col)), item, dash)
	_, end := d.Entry(c)
	e.edits = append(e.edits, blockyaml.Edit{From: end, To: end, Text: text})
	return true, nil
}

// spliceContainer finds the container or init container named name of the
// pod spec spec; None when there is none.
func spliceContainer(d *blockyaml.Doc, spec blockyaml.Node, name string) blockyaml.Node {
	for _, key := range []string{"containers", "initContainers"} {
		list := d.Get(spec, key)
		if d.Kind(list) != blockyaml.Seq {
			continue
		}
		for c := range d.Children(list) {
			if n, _ := d.StrOrAbsent(d.Get(c, "name")); n == name && d.Kind(c) == blockyaml.Map {
				return c
			}
		}
	}
	return blockyaml.None
}

// ShareProcessNamespace sets the field to true.
func (e *Splice) ShareProcessNamespace() {
	if n := e.d.Get(e.spec, "shareProcessNamespace"); n >= 0 {
		e.replace(n, "true")
		return
	}
	e.tail = append(e.tail, tailKey{key: "shareProcessNamespace", value: "true"})
}

// replace replaces the one-line scalar n, quotes included.
func (e *Splice) replace(n blockyaml.Node, text string) {
	from, to := e.d.Value(n)
	e.edits = append(e.edits, blockyaml.Edit{From: from, To: to, Text: []byte(text)})
}

// WriteStatus records st in the template's annotations.
func (e *Splice) WriteStatus(st *overlay.Status) error {
	d := e.d
	md := d.Get(e.tmpl, "metadata")
	ann := d.Get(md, "annotations")
	st.MarkCreated("metadata", md < 0)
	st.MarkCreated("metadata.annotations", ann < 0)
	data, err := st.Marshal()
	if err != nil {
		return err
	}
	lines := func(col int) ([]byte, error) {
		var text []byte
		for _, a := range append(st.Stamps, overlay.Stamp{Key: overlay.StatusAnnotation, Value: string(data)}) {
			entry, err := annotation(a)
			if err != nil {
				return nil, err
			}
			text = blockyaml.Indent(text, entry, col)
		}
		return text, nil
	}
	var text []byte
	var at int
	switch {
	case md < 0:
		// Before spec, where people expect it (the tree road does the same).
		col := d.Col(e.tmpl)
		text = fmt.Appendf(nil, "%smetadata:\n%s  annotations:\n", blockyaml.Spaces(col), blockyaml.Spaces(col))
		more, err := lines(col + 4)
		if err != nil {
			return err
		}
		text = append(text, more...)
		at, _ = d.Entry(e.spec)
	case d.EmptyFlow(ann, '{'):
		// `annotations: {}` becomes a block mapping.
		_, to := d.Value(ann)
		e.edits = append(e.edits, blockyaml.Edit{From: d.ValueStart(ann), To: to})
		if text, err = lines(d.Col(md) + 2); err != nil {
			return err
		}
		_, at = d.Entry(ann)
	case ann < 0:
		col := d.Col(md)
		text = fmt.Appendf(nil, "%sannotations:\n", blockyaml.Spaces(col))
		more, err := lines(col + 2)
		if err != nil {
			return err
		}
		text = append(text, more...)
		_, at = d.Entry(md)
	default:
		if text, err = lines(d.Col(ann)); err != nil {
			return err
		}
		_, at = d.Entry(ann)
	}
	e.edits = append(e.edits, blockyaml.Edit{From: at, To: at, Text: text})
	return nil
}

// annotation writes one annotation as a mapping entry at indentation 0:
// itself where its value is plain or single-quoted, as yaml.v3 writes it
// for the tree road otherwise (escapes, blocks).
func annotation(a overlay.Stamp) ([]byte, error) {
	switch blockyaml.StyleOf(a.Value) {
	case blockyaml.Plain, blockyaml.Single:
		return []byte(a.Key + ": " + blockyaml.String(a.Value) + "\n"), nil
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{yamltree.Scalar(a.Key), yamltree.Scalar(a.Value)}}
	yamltree.StyleNodes(m)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// render writes v as the YAML of a list item, unindented: with the
// emitter, or, for what yaml.v3 writes its own way, with yaml.v3 and the
// styles the tree road gives it, so both roads write the same text.
func (e *Splice) render(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	key := renderKey{string(data), e.compact}
	if out, ok := e.cache.items[key]; ok {
		return out, nil
	}
	if out, ok := blockyaml.Emit(data, e.compact); ok {
		if e.cache.items == nil {
			e.cache.items = map[renderKey][]byte{}
		}
		if len(e.cache.items) < maxRendered {
			e.cache.items[key] = out
		}
		return out, nil
	}
	n, err := yamltree.ToNode(v)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if e.compact {
		enc.CompactSeqIndent()
	}
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Bytes returns the document with the edits made, after preamble.
func (e *Splice) Bytes(preamble []byte) ([]byte, error) {
	d := e.d
	edits := e.edits
	if len(e.tail) > 0 {
		col := d.Col(e.spec)
		dash := col
		if !e.compact {
			dash += 2
		}
		var text []byte
		for _, t := range e.tail {
			if t.items == nil {
				text = fmt.Appendf(text, "%s%s: %s\n", blockyaml.Spaces(col), t.key, t.value)
				continue
			}
			text = fmt.Appendf(text, "%s%s:\n", blockyaml.Spaces(col), t.key)
			for _, item := range t.items {
				text = blockyaml.AppendItem(text, item, dash)
			}
		}
		// After whatever else goes to the same place: an item appended to
		// the spec's last list must not land in a list created after it.
		_, at := d.Entry(e.spec)
		edits = append(edits, blockyaml.Edit{From: at, To: at, Text: text})
	}
	body := d.Body()
	out, ok := blockyaml.Apply(make([]byte, 0, len(preamble)+len(body)+4096), preamble, body, edits)
	if !ok {
		return nil, fmt.Errorf("splicing: overlapping edits") // a bug: the editor makes none
	}
	return out, nil
}
