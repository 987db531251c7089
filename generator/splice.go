package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
)

// The fast road for workloads (issue 6): index the document (blockDoc),
// read the few fields the overlay needs, and splice the additions into the
// original bytes. Everything the overlay does not touch stays byte for
// byte as it was, comments and formatting included. Whatever the road
// cannot be sure of, it leaves to the yaml.v3 tree road, before it has
// changed any state: the two give the same objects (splice_test.go).

// spliced overlays a workload on the fast road. ok false means "take the
// tree road"; nothing has been recorded then.
func (st *run) spliced(e entry, wk WorkloadKind, raw, preamble, body []byte) (out []byte, ok bool, err error) {
	d := &st.doc
	if !d.index(body) {
		return nil, false, nil
	}
	if body[len(body)-1] != '\n' && d.nodes[len(d.nodes)-1].kind == bBlockScalar {
		// A line break after it, for what the overlay adds, would change
		// the scalar's value.
		return nil, false, nil
	}
	meta := workloadMeta{kind: e.h.Kind}
	md := d.get(0, "metadata")
	if !d.mapOrAbsent(md) {
		return nil, false, nil
	}
	if meta.name, ok = d.strOrAbsent(d.get(md, "name")); !ok {
		return nil, false, nil
	}
	if meta.namespace, ok = d.strOrAbsent(d.get(md, "namespace")); !ok {
		return nil, false, nil
	}
	if meta.labels, ok = d.stringMap(d.get(md, "labels")); !ok {
		return nil, false, nil
	}
	if meta.annotations, ok = d.stringMap(d.get(md, "annotations")); !ok {
		return nil, false, nil
	}
	tmpl, field := int32(0), "."
	if path := wk.templatePath(); path != nil {
		tmpl, field = d.path(0, path...), wk.TemplatePath
	}
	if d.kind(tmpl) != bMap {
		return nil, false, nil
	}
	tmd := d.get(tmpl, "metadata")
	if !d.mapOrAbsent(tmd) {
		return nil, false, nil
	}
	if meta.templateAnnotations, ok = d.stringMap(d.get(tmd, "annotations")); !ok {
		return nil, false, nil
	}
	sel := st.cfg.selectWorkload(meta)
	if _, again := meta.templateAnnotations[StatusAnnotation]; again && sel.selected {
		// Overlaid before: undo that first, so a second run changes nothing.
		stripped, ok := d.unsplice(tmpl)
		if !ok || !d.index(stripped) {
			return nil, false, nil
		}
		body = stripped
		tmpl = d.path(0, wk.templatePath()...)
		if d.kind(tmpl) != bMap {
			return nil, false, nil
		}
	}
	var osName string
	var edit *spliceEditor
	if sel.selected {
		spec := d.get(tmpl, "spec")
		if d.kind(spec) != bMap {
			return nil, false, nil
		}
		if os := d.get(spec, "os"); !d.mapOrAbsent(os) {
			return nil, false, nil // `os: {name: windows}`: the tree road reads it
		}
		if osName, ok = d.strOrAbsent(d.path(spec, "os", "name")); !ok {
			return nil, false, nil
		}
		if osName != "windows" {
			if !d.editable(tmpl, spec) {
				return nil, false, nil
			}
			pod, err := d.podSpec(spec, st.projection[:0])
			if err != nil {
				return nil, false, nil
			}
			edit = &spliceEditor{d: d, tmpl: tmpl, spec: spec, pod: pod, compact: d.compactSequences(), rendered: st.rendered}
		}
	}
	// From here on, the fast road does not turn back.
	var pe podEditor
	if edit != nil {
		pe = edit
	}
	changed, err := st.workload(e, wk, meta, sel, field, osName, pe)
	if err != nil || !changed {
		return raw, true, err
	}
	out, err = edit.splice(preamble)
	st.report.spliced++
	return out, true, err
}

// mapOrAbsent reports whether n is a block mapping or missing.
func (d *blockDoc) mapOrAbsent(n int32) bool {
	return n < 0 || d.nodes[n].kind == bMap
}

// strOrAbsent reads a one-line scalar, or "" when n is missing.
func (d *blockDoc) strOrAbsent(n int32) (string, bool) {
	if n < 0 {
		return "", true
	}
	return d.str(n)
}

// stringMap reads a mapping of one-line scalars, such as labels.
func (d *blockDoc) stringMap(n int32) (map[string]string, bool) {
	if n < 0 || d.emptyFlow(n, '{') {
		return nil, true
	}
	if d.nodes[n].kind != bMap {
		return nil, false
	}
	m := map[string]string{}
	for c := d.nodes[n].first; c >= 0; c = d.nodes[c].next {
		v, ok := d.str(c)
		if !ok {
			return nil, false
		}
		k := d.nodes[c].key
		m[string(d.body[k.from:k.to])] = v
	}
	return m, true
}

// editable reports whether every place the splice editor may touch has a
// shape it can edit: lists that are block sequences of mappings, names
// that are one-line scalars, metadata that is a block mapping. Other
// shapes (flow, null, anchors) are valid YAML that the tree road edits.
func (d *blockDoc) editable(tmpl, spec int32) bool {
	for _, key := range []string{"containers", "initContainers", "volumes"} {
		list := d.get(spec, key)
		if list < 0 || d.emptyFlow(list, '[') || d.null(list) {
			continue
		}
		if d.nodes[list].kind != bSeq {
			return false
		}
		if key == "volumes" {
			continue
		}
		for c := d.nodes[list].first; c >= 0; c = d.nodes[c].next {
			if d.nodes[c].kind != bMap {
				return false
			}
			if _, ok := d.strOrAbsent(d.get(c, "name")); !ok {
				return false
			}
			mounts := d.get(c, "volumeMounts")
			if mounts < 0 {
				continue
			}
			if d.nodes[mounts].kind != bSeq {
				return false
			}
			for m := d.nodes[mounts].first; m >= 0; m = d.nodes[m].next {
				if d.nodes[m].kind != bMap {
					return false
				}
				if _, ok := d.strOrAbsent(d.get(m, "name")); !ok {
					return false
				}
				if _, ok := d.strOrAbsent(d.get(m, "mountPath")); !ok {
					return false
				}
			}
		}
	}
	if spn := d.get(spec, "shareProcessNamespace"); spn >= 0 && d.nodes[spn].kind != bScalar {
		return false
	}
	md := d.get(tmpl, "metadata")
	ann := d.get(md, "annotations")
	return d.mapOrAbsent(md) && (d.mapOrAbsent(ann) || d.emptyFlow(ann, '{'))
}

// valueStart returns where the blanks before the one-line value n start.
func (d *blockDoc) valueStart(n int32) int32 {
	from := d.nodes[n].from
	for d.body[from-1] == ' ' || d.body[from-1] == '\t' {
		from--
	}
	return from
}

// emptied returns the entry n of a mapping written on one line with an
// empty flow value, `key: []` or `key: {}`, comment kept: how an entry the
// overlay filled is written back when it takes its items out again.
func (d *blockDoc) emptied(n int32, empty string) splice {
	v := d.nodes[n]
	colon := v.key.to + int32(bytes.IndexByte(d.body[v.key.to:], ':'))
	end := d.lineEnd(v.line)
	line := append([]byte(nil), d.body[v.line:colon+1]...)
	line = append(append(line, ' '), empty...)
	line = append(line, bytes.TrimRight(d.body[colon+1:end], "\n")...)
	return splice{from: v.line, to: v.end, text: append(line, '\n')}
}

// null reports whether n is a null: nothing, ~ or null.
func (d *blockDoc) null(n int32) bool {
	if n < 0 {
		return false
	}
	v := d.nodes[n]
	if v.kind == bNull {
		return true
	}
	return v.kind == bScalar && v.quote == 0 && nullWord(d.body[v.from:v.to])
}

// emptyFlow reports whether n is written `[]` (open '[') or `{}` ('{').
func (d *blockDoc) emptyFlow(n int32, open byte) bool {
	if n < 0 {
		return false
	}
	v := d.nodes[n]
	return v.kind == bScalar && v.quote == open && len(bytes.TrimSpace(d.body[v.from+1:v.to-1])) == 0
}

// compactSequences reports whether the document writes its lists with the
// dashes under their key (kubectl's and kustomize's style) rather than
// indented (Helm charts' usual style), by its first list; compact when it
// has none.
func (d *blockDoc) compactSequences() bool {
	for _, n := range d.nodes {
		if n.kind == bSeq && n.parent >= 0 && d.nodes[n.parent].kind == bMap {
			return n.col == d.nodes[n.parent].col
		}
	}
	return true // kyaml's DeriveSeqIndentStyle, which the tree road uses, says so too
}

// Fields of the pod spec the overlay reads; podSpec decodes only these, so
// a long container (probes, args, env) costs a scan, not a parse.
var (
	podFields       = []string{"containers", "initContainers", "volumes", "securityContext", "restartPolicy", "hostPID", "shareProcessNamespace", "resources", "os"}
	containerFields = []string{"name", "volumeMounts", "env", "resources", "securityContext"}
)

// podSpec decodes the fields of the pod spec that the overlay reads: as
// JSON written from the index (podSpecJSON), or else written line for line
// as they are into a smaller YAML document (buf), which yaml.v3 parses.
func (d *blockDoc) podSpec(spec int32, buf []byte) (*corev1.PodSpec, error) {
	if pod, _, ok := d.podSpecJSON(spec, buf); ok {
		return pod, nil
	}
	return d.podSpecYAML(spec, buf[:0])
}

func (d *blockDoc) podSpecYAML(spec int32, buf []byte) (*corev1.PodSpec, error) {
	b := d.body
	for f := d.nodes[spec].first; f >= 0; f = d.nodes[f].next {
		fn := d.nodes[f]
		key := string(b[fn.key.from:fn.key.to])
		if !slices.Contains(podFields, key) {
			continue
		}
		if key != "containers" && key != "initContainers" || fn.kind != bSeq {
			buf = appendLines(buf, b[fn.line:fn.end])
			continue
		}
		buf = appendLines(buf, b[fn.line:d.lineEnd(fn.line)])
		for c := fn.first; c >= 0; c = d.nodes[c].next {
			cn := d.nodes[c]
			wrote := false
			mounts := d.get(c, "volumeMounts")
			expr := mounts >= 0 && bytes.Contains(b[d.nodes[mounts].line:d.nodes[mounts].end], []byte("subPathExpr"))
			for k := cn.first; k >= 0; k = d.nodes[k].next {
				kn := d.nodes[k]
				ck := string(b[kn.key.from:kn.key.to])
				if !slices.Contains(containerFields, ck) || ck == "env" && !expr {
					continue
				}
				at := len(buf)
				buf = appendLines(buf, b[kn.line:kn.end])
				if !wrote && kn.line != cn.line {
					buf[at+int(fn.col)] = '-' // the item's first key was left out
				}
				wrote = true
			}
			if !wrote {
				buf = append(append(buf, bytes.Repeat([]byte(" "), int(fn.col))...), "- {}\n"...)
			}
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(buf, &doc); err != nil {
		return nil, err
	}
	var pod corev1.PodSpec
	if len(doc.Content) == 0 {
		return &pod, nil
	}
	if err := decodeNode(doc.Content[0], &pod); err != nil {
		return nil, err
	}
	return &pod, nil
}

// appendLines appends whole lines, ending the last one.
func appendLines(buf, lines []byte) []byte {
	buf = append(buf, lines...)
	if len(lines) > 0 && lines[len(lines)-1] != '\n' {
		buf = append(buf, '\n')
	}
	return buf
}

// lineEnd returns the end of the line that starts at off, newline included.
func (d *blockDoc) lineEnd(off int32) int32 {
	if i := bytes.IndexByte(d.body[off:], '\n'); i >= 0 {
		return off + int32(i) + 1
	}
	return int32(len(d.body))
}

// spliceEditor edits a pod template by inserting text into its document.
type spliceEditor struct {
	d          *blockDoc
	tmpl, spec int32
	pod        *corev1.PodSpec
	compact    bool     // the document's lists have their dashes under their key
	edits      []splice // in the order made
	tail       []tailKey
	opened     []int32 // `[]` lists made block lists, null lists removed
	rendered   map[renderKey][]byte
}

// renderKey is an item as JSON, and the list style it is rendered in.
type renderKey struct {
	json    string
	compact bool
}

// maxRendered bounds the rendered items a run remembers.
const maxRendered = 256

// splice replaces body[from:to] with text; from == to inserts.
type splice struct {
	from, to int32
	text     []byte
}

// tailKey is a field the editor creates at the end of the pod spec.
type tailKey struct {
	key   string
	items [][]byte // rendered list items, unindented
	value string   // a scalar value instead
}

func (e *spliceEditor) podSpec(*podTarget) (*corev1.PodSpec, error) { return e.pod, nil }

func (e *spliceEditor) insert(key string, i int, v any, st *Status) error {
	item, err := e.render(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", key, err)
	}
	d := e.d
	list := d.get(e.spec, key)
	if list >= 0 && d.null(list) {
		// The tree road drops a null list and creates it at the end.
		if !slices.Contains(e.opened, list) {
			e.opened = append(e.opened, list)
			ln := d.nodes[list]
			e.edits = append(e.edits, splice{from: ln.line, to: ln.end})
		}
		list = -1
	}
	if list < 0 {
		st.created("spec."+key, true)
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
		return nil
	}
	ln := d.nodes[list]
	if d.emptyFlow(list, '[') {
		// `key: []` becomes `key:` with the items below, in block style
		// as the tree road writes it.
		if !slices.Contains(e.opened, list) {
			e.opened = append(e.opened, list)
			e.edits = append(e.edits, splice{from: d.valueStart(list), to: ln.to})
		}
		dash := d.nodes[ln.parent].col
		if !e.compact {
			dash += 2
		}
		e.edits = append(e.edits, splice{from: ln.end, to: ln.end, text: indentItem(nil, item, int(dash))})
		return nil
	}
	at := ln.end // append
	if i >= 0 {
		at = d.nodes[ln.first].line // i only counts what the overlay inserted before
	}
	e.edits = append(e.edits, splice{from: at, to: at, text: indentItem(nil, item, int(ln.col))})
	return nil
}

func (e *spliceEditor) rewire(rename map[string]string) []Rewire {
	if len(rename) == 0 {
		return nil
	}
	d := e.d
	var done []Rewire
	for _, key := range []string{"initContainers", "containers"} {
		list := d.get(e.spec, key)
		if d.kind(list) != bSeq {
			continue
		}
		for c := d.nodes[list].first; c >= 0; c = d.nodes[c].next {
			mounts := d.get(c, "volumeMounts")
			if mounts < 0 {
				continue
			}
			for m := d.nodes[mounts].first; m >= 0; m = d.nodes[m].next {
				name := d.get(m, "name")
				if name < 0 {
					continue
				}
				volume, _ := d.str(name) // editable checked it
				to, ok := rename[volume]
				if !ok {
					continue
				}
				cname, _ := d.strOrAbsent(d.get(c, "name"))
				mountPath, _ := d.strOrAbsent(d.get(m, "mountPath"))
				done = append(done, Rewire{Container: cname, MountPath: mountPath, Volume: volume, Copy: to})
				e.replace(name, yamlString(to))
			}
		}
	}
	return done
}

func (e *spliceEditor) shareProcessNamespace() {
	if n := e.d.get(e.spec, "shareProcessNamespace"); n >= 0 {
		e.replace(n, "true")
		return
	}
	e.tail = append(e.tail, tailKey{key: "shareProcessNamespace", value: "true"})
}

// replace replaces the one-line scalar n, quotes included.
func (e *spliceEditor) replace(n int32, text string) {
	v := e.d.nodes[n]
	from, to := v.from, v.to
	if v.quote == '"' || v.quote == '\'' {
		from, to = from-1, to+1
	}
	e.edits = append(e.edits, splice{from: from, to: to, text: []byte(text)})
}

func (e *spliceEditor) writeStatus(st *Status) error {
	d := e.d
	md := d.get(e.tmpl, "metadata")
	var ann int32 = -1
	if md >= 0 {
		ann = d.get(md, "annotations")
	}
	st.created("metadata", md < 0)
	st.created("metadata.annotations", ann < 0)
	data, err := st.marshal()
	if err != nil {
		return err
	}
	line := StatusAnnotation + ": " + yamlString(string(data)) + "\n"
	var text []byte
	var at int32
	switch {
	case md < 0:
		// Before spec, where people expect it (the tree road does the same).
		col := int(d.nodes[e.tmpl].col)
		text = fmt.Appendf(nil, "%smetadata:\n%s  annotations:\n%s    %s", spaces(col), spaces(col), spaces(col), line)
		at = d.nodes[e.spec].line
	case d.emptyFlow(ann, '{'):
		// `annotations: {}` becomes a block mapping.
		a := d.nodes[ann]
		e.edits = append(e.edits, splice{from: d.valueStart(ann), to: a.to})
		text = fmt.Appendf(nil, "%s%s", spaces(int(d.nodes[md].col)+2), line)
		at = a.end
	case ann < 0:
		col := int(d.nodes[md].col)
		text = fmt.Appendf(nil, "%sannotations:\n%s  %s", spaces(col), spaces(col), line)
		at = d.nodes[md].end
	default:
		text = fmt.Appendf(nil, "%s%s", spaces(int(d.nodes[ann].col)), line)
		at = d.nodes[ann].end
	}
	e.edits = append(e.edits, splice{from: at, to: at, text: text})
	return nil
}

// render writes v as the YAML of a list item, unindented.
func (e *spliceEditor) render(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	key := renderKey{string(data), e.compact}
	if out, ok := e.rendered[key]; ok {
		return out, nil // the copy container and its volume repeat across workloads
	}
	if out, ok := emitYAML(data, e.compact); ok {
		if len(e.rendered) < maxRendered {
			e.rendered[key] = out
		}
		return out, nil
	}
	n, err := toNode(v)
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

// indentItem appends item as a list item with its dash at column col.
func indentItem(buf, item []byte, col int) []byte {
	first := true
	for len(item) > 0 {
		line := item
		if i := bytes.IndexByte(item, '\n'); i >= 0 {
			line, item = item[:i+1], item[i+1:]
		} else {
			item = nil
		}
		switch {
		case first:
			buf = append(append(append(buf, spaces(col)...), "- "...), line...)
			first = false
		case len(line) == 1:
			buf = append(buf, line...) // an empty line in a block scalar
		default:
			buf = append(append(buf, spaces(col+2)...), line...)
		}
	}
	return buf
}

// splice returns the document with the edits made, preamble first.
func (e *spliceEditor) splice(preamble []byte) ([]byte, error) {
	d := e.d
	edits := e.edits
	if len(e.tail) > 0 {
		col := int(d.nodes[e.spec].col)
		dash := col
		if !e.compact {
			dash += 2
		}
		var text []byte
		for _, t := range e.tail {
			if t.items == nil {
				text = fmt.Appendf(text, "%s%s: %s\n", spaces(col), t.key, t.value)
				continue
			}
			text = fmt.Appendf(text, "%s%s:\n", spaces(col), t.key)
			for _, item := range t.items {
				text = indentItem(text, item, dash)
			}
		}
		// After whatever else goes to the same place: an item appended to
		// the spec's last list must not land in a list created after it.
		at := d.nodes[e.spec].end
		edits = append(edits, splice{from: at, to: at, text: text})
	}
	slices.SortStableFunc(edits, func(a, b splice) int { return int(a.from - b.from) })
	body := d.body
	out := make([]byte, 0, len(preamble)+len(body)+4096)
	out = append(out, preamble...)
	last := int32(0)
	for _, s := range edits {
		out = append(out, body[last:s.from]...)
		if s.from == int32(len(body)) && len(body) > 0 && body[len(body)-1] != '\n' && s.from == s.to && last <= s.from && (len(out) == 0 || out[len(out)-1] != '\n') {
			out = append(out, '\n') // the document's last line had no line break
		}
		out = append(out, s.text...)
		last = s.to
	}
	return append(out, body[last:]...), nil
}

// spaces returns n spaces, without allocating for the usual depths.
func spaces(n int) string {
	if n <= len(blanks) {
		return blanks[:n]
	}
	return strings.Repeat(" ", n)
}

const blanks = "                                                                " +
	"                                                                "

// unsplice removes from the pod template tmpl what its status annotation
// says the overlay added, by cutting it out of the text, and returns the
// new body. Undoing a spliced overlay so gives back the original bytes
// (volume names the overlay rewired come back plain or single-quoted).
// ok false means "leave it to the tree road": a shape it cannot undo
// exactly, such as a list the overlay filled that was `[]` before.
func (d *blockDoc) unsplice(tmpl int32) (body []byte, ok bool) {
	ann := d.path(tmpl, "metadata", "annotations")
	sa := d.get(ann, StatusAnnotation)
	value, ok := d.str(sa)
	if !ok {
		return nil, false
	}
	var s Status
	if json.Unmarshal([]byte(value), &s) != nil || s.Version != statusVersion {
		return nil, false // the tree road says what is wrong with it
	}
	spec := d.get(tmpl, "spec")
	if d.kind(spec) != bMap {
		return nil, false
	}
	var edits []splice
	cut := func(n int32) { edits = append(edits, splice{from: d.nodes[n].line, to: d.nodes[n].end}) }
	specLeft := 0 // entries of the spec that stay
	for c := d.nodes[spec].first; c >= 0; c = d.nodes[c].next {
		specLeft++
	}
	removed := map[int32]bool{}
	for _, l := range []struct {
		key   string
		names []string
	}{{"containers", s.Containers}, {"initContainers", s.InitContainers}, {"volumes", s.Volumes}} {
		list := d.get(spec, l.key)
		if list < 0 || len(l.names) == 0 {
			continue
		}
		if d.nodes[list].kind != bSeq {
			return nil, false
		}
		var cuts []int32
		left := 0
		for it := d.nodes[list].first; it >= 0; it = d.nodes[it].next {
			name, ok := d.str(d.get(it, "name"))
			if ok && slices.Contains(l.names, name) {
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
		case slices.Contains(s.Created, "spec."+l.key):
			cut(list)
			specLeft--
		default:
			edits = append(edits, d.emptied(list, "[]"))
		}
	}
	for _, r := range s.Rewired {
		for _, key := range []string{"containers", "initContainers"} {
			list := d.get(spec, key)
			if d.kind(list) != bSeq {
				continue
			}
			for c := d.nodes[list].first; c >= 0; c = d.nodes[c].next {
				if removed[c] {
					continue
				}
				if name, _ := d.str(d.get(c, "name")); name != r.Container {
					continue
				}
				mounts := d.get(c, "volumeMounts")
				if d.kind(mounts) != bSeq {
					continue
				}
				for m := d.nodes[mounts].first; m >= 0; m = d.nodes[m].next {
					name := d.get(m, "name")
					vol, _ := d.str(name)
					if mp, _ := d.str(d.get(m, "mountPath")); vol == r.Copy && mp == r.MountPath {
						v := d.nodes[name]
						from, to := v.from, v.to
						if v.quote != 0 {
							from, to = from-1, to+1
						}
						edits = append(edits, splice{from: from, to: to, text: []byte(yamlString(r.Volume))})
					}
				}
			}
		}
	}
	if spn := d.get(spec, "shareProcessNamespace"); spn >= 0 {
		switch s.ShareProcessNamespace {
		case "unset":
			cut(spn)
			specLeft--
		case "false":
			v := d.nodes[spn]
			if v.kind != bScalar || v.quote != 0 {
				return nil, false
			}
			edits = append(edits, splice{from: v.from, to: v.to, text: []byte("false")})
		}
	}
	if specLeft == 0 {
		return nil, false // the spec would be empty: the tree road writes {}
	}
	md := d.get(tmpl, "metadata")
	annotations := 0
	for c := d.nodes[ann].first; c >= 0; c = d.nodes[c].next {
		annotations++
	}
	metadata := 0
	for c := d.nodes[md].first; c >= 0; c = d.nodes[c].next {
		metadata++
	}
	switch {
	case annotations > 1:
		cut(sa)
	case !slices.Contains(s.Created, "metadata.annotations"):
		edits = append(edits, d.emptied(ann, "{}"))
	case metadata == 1 && slices.Contains(s.Created, "metadata"):
		cut(md)
	case metadata == 1:
		return nil, false // the metadata would be empty: the tree road writes {}
	default:
		cut(ann)
	}
	slices.SortStableFunc(edits, func(a, b splice) int { return int(a.from - b.from) })
	out := make([]byte, 0, len(d.body))
	last := int32(0)
	for _, e := range edits {
		if e.from < last {
			return nil, false // overlapping edits: not what the overlay wrote
		}
		out = append(append(out, d.body[last:e.from]...), e.text...)
		last = e.to
	}
	return append(out, d.body[last:]...), true
}
