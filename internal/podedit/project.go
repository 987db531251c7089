package podedit

import (
	"encoding/json"
	"slices"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/blockyaml"
	"github.com/debug-overlay/debug-overlay/internal/yamltree"
)

// podSpec decodes the fields of the pod spec that the overlay reads
// (overlay.PodFields, overlay.ContainerFields): as JSON written from the
// index (podSpecJSON), or else written line for line as they are into a
// smaller YAML document (buf), which yaml.v3 parses. A container's env is
// left out unless one of its mounts uses subPathExpr, the only time the
// overlay reads it.
func podSpec(d *blockyaml.Doc, spec blockyaml.Node, buf []byte) (*corev1.PodSpec, error) {
	if pod, _, ok := podSpecJSON(d, spec, buf); ok {
		return pod, nil
	}
	return podSpecYAML(d, spec, buf[:0])
}

// readsEnv reports whether the overlay reads the env of container c: only
// for the variables its subPathExpr mounts expand.
func readsEnv(d *blockyaml.Doc, c blockyaml.Node) bool {
	mounts := d.Get(c, "volumeMounts")
	return mounts >= 0 && d.Contains(mounts, "subPathExpr")
}

// podSpecJSON writes the declared fields of the pod spec as JSON and
// decodes them; ok false means it met something to ask yaml.v3 about.
func podSpecJSON(d *blockyaml.Doc, spec blockyaml.Node, buf []byte) (*corev1.PodSpec, []byte, bool) {
	buf = append(buf, '{')
	first := true
	var ok bool
	for f := range d.Children(spec) {
		key := d.Key(f)
		if !slices.Contains(overlay.PodFields, key) {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = d.AppendKeyJSON(buf, f)
		if key != "containers" && key != "initContainers" || d.Kind(f) != blockyaml.Seq {
			if buf, ok = d.AppendJSON(buf, f); !ok {
				return nil, buf, false
			}
			continue
		}
		buf = append(buf, '[')
		firstItem := true
		for c := range d.Children(f) {
			if !firstItem {
				buf = append(buf, ',')
			}
			firstItem = false
			if d.Kind(c) != blockyaml.Map {
				return nil, buf, false
			}
			env := readsEnv(d, c)
			buf = append(buf, '{')
			firstField := true
			for k := range d.Children(c) {
				ck := d.Key(k)
				if !slices.Contains(overlay.ContainerFields, ck) || ck == "env" && !env {
					continue
				}
				if !firstField {
					buf = append(buf, ',')
				}
				firstField = false
				buf = d.AppendKeyJSON(buf, k)
				if buf, ok = d.AppendJSON(buf, k); !ok {
					return nil, buf, false
				}
			}
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	}
	buf = append(buf, '}')
	var pod corev1.PodSpec
	if err := json.Unmarshal(buf, &pod); err != nil {
		return nil, buf, false // the tree road words the error
	}
	return &pod, buf, true
}

// podSpecYAML copies the lines of the declared fields into buf, a smaller
// YAML document, and has yaml.v3 read it.
func podSpecYAML(d *blockyaml.Doc, spec blockyaml.Node, buf []byte) (*corev1.PodSpec, error) {
	b := d.Body()
	entry := func(n blockyaml.Node) []byte {
		from, to := d.Entry(n)
		return b[from:to]
	}
	for f := range d.Children(spec) {
		key := d.Key(f)
		if !slices.Contains(overlay.PodFields, key) {
			continue
		}
		if key != "containers" && key != "initContainers" || d.Kind(f) != blockyaml.Seq {
			buf = appendLines(buf, entry(f))
			continue
		}
		from, _ := d.Entry(f)
		buf = appendLines(buf, b[from:d.LineEnd(from)])
		for c := range d.Children(f) {
			wrote := false
			env := readsEnv(d, c)
			itemLine, _ := d.Entry(c)
			for k := range d.Children(c) {
				ck := d.Key(k)
				if !slices.Contains(overlay.ContainerFields, ck) || ck == "env" && !env {
					continue
				}
				at := len(buf)
				buf = appendLines(buf, entry(k))
				if line, _ := d.Entry(k); !wrote && line != itemLine {
					buf[at+d.Col(f)] = '-' // the item's first key was left out
				}
				wrote = true
			}
			if !wrote {
				buf = append(append(buf, blockyaml.Spaces(d.Col(f))...), "- {}\n"...)
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
	if err := yamltree.Decode(doc.Content[0], &pod); err != nil {
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
