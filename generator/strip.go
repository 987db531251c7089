package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/debug-overlay/debug-overlay/internal/stream"
	"go.yaml.in/yaml/v3"
)

// Stripper removes what the overlay added from a stream, guided by the
// status annotation on each pod template. It reads rendered releases,
// `helm get manifest` output and `kubectl get -o yaml` exports (List
// documents included). Its zero value knows the built-in kinds.
type Stripper struct {
	// Kinds adds pod-bearing kinds, as Config.Kinds does.
	Kinds       []WorkloadKind
	TempDir     string
	MemoryLimit int64
}

// Strip copies in to out with the overlay removed and returns how many pod
// templates it stripped. Documents without the status annotation are copied
// through byte for byte. On error it writes nothing.
func (s *Stripper) Strip(in io.Reader, out io.Writer) (int, error) {
	limit := s.MemoryLimit
	if limit <= 0 {
		limit = DefaultMemoryLimit
	}
	output := stream.NewSpool(s.TempDir, limit)
	defer output.Close()
	kinds := newKindTable(s.Kinds)
	marker := []byte(StatusAnnotation)
	dr := stream.NewReader(in)
	var buf []byte
	var d blockDoc
	stripped := 0
	for i := 0; ; i++ {
		raw, err := dr.Next(buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("reading input: %w", err)
		}
		buf = raw
		if !bytes.Contains(raw, marker) {
			if _, err := output.Write(raw); err != nil {
				return 0, err
			}
			continue
		}
		e := entry{index: i, h: stream.ScanHeader(raw)}
		preamble, body := stream.SplitPreamble(raw)
		if out, ok := unspliceDocument(&d, kinds, e.h, preamble, body); ok {
			stripped++
			if _, err := output.Write(out); err != nil {
				return 0, err
			}
			continue
		}
		doc, err := parseBody(preamble, body)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", docLabel(e, "", ""), err)
		}
		n, err := stripObject(doc.Content[0], kinds)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", docLabel(e, "", ""), err)
		}
		result := raw
		if n > 0 {
			if result, err = encodeDocument(raw, preamble, body, doc); err != nil {
				return 0, err
			}
		}
		stripped += n
		if _, err := output.Write(result); err != nil {
			return 0, err
		}
	}
	if _, err := output.WriteTo(out); err != nil {
		return 0, fmt.Errorf("writing output: %w", err)
	}
	return stripped, nil
}

// unspliceDocument strips a workload by cutting the overlay out of its
// text, which gives back the bytes it had before a spliced overlay. ok
// false means "parse it": not a block-style workload, or not one to strip.
func unspliceDocument(d *blockDoc, kinds kindTable, h stream.Header, preamble, body []byte) ([]byte, bool) {
	if !h.Sure {
		return nil, false
	}
	wk, ok := kinds.lookup(h.APIVersion, h.Kind)
	if !ok || !d.index(body) {
		return nil, false
	}
	tmpl := d.path(0, wk.templatePath()...)
	if d.kind(tmpl) != bMap {
		return nil, false
	}
	stripped, ok := d.unsplice(tmpl)
	if !ok {
		return nil, false
	}
	return append(append(make([]byte, 0, len(preamble)+len(stripped)), preamble...), stripped...), true
}

// stripObject strips one object, or each item of a List.
func stripObject(obj *yaml.Node, kinds kindTable) (int, error) {
	apiVersion := scalarValue(mapGet(obj, "apiVersion"))
	kind := scalarValue(mapGet(obj, "kind"))
	if items := mapGet(obj, "items"); items != nil && items.Kind == yaml.SequenceNode {
		total := 0
		for i, item := range items.Content {
			n, err := stripObject(item, kinds)
			if err != nil {
				return 0, fmt.Errorf("items[%d]: %w", i, err)
			}
			total += n
		}
		return total, nil
	}
	wk, ok := kinds.lookup(apiVersion, kind)
	if !ok {
		return 0, nil
	}
	tmpl := obj
	if path := wk.templatePath(); path != nil {
		tmpl = mapPath(obj, path...)
	}
	done, err := stripTemplate(tmpl)
	if err != nil || !done {
		return 0, err
	}
	return 1, nil
}
