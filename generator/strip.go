package generator

import (
	"bytes"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/blockyaml"
	"github.com/debug-overlay/debug-overlay/internal/podedit"
	"github.com/debug-overlay/debug-overlay/internal/stream"
	"github.com/debug-overlay/debug-overlay/internal/yamltree"
)

// Stripper removes what the overlay added from a stream, guided by the
// status annotation on each pod template. It reads rendered releases,
// `helm get manifest` output and `kubectl get -o yaml` exports (List
// documents included). Its zero value knows the built-in kinds.
type Stripper struct {
	// Kinds adds pod-bearing kinds, as Config.Kinds does.
	Kinds       []overlay.WorkloadKind
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
	kinds := overlay.NewKindTable(s.Kinds)
	var d blockyaml.Doc
	stripped := 0
	err := eachDocument(in, func(i int, raw []byte) error {
		result, n, err := stripDocument(&d, kinds, entry{index: i}, raw)
		if err != nil {
			return err
		}
		stripped += n
		_, err = output.Write(result)
		return err
	})
	if err != nil {
		return 0, err
	}
	if _, err := output.WriteTo(out); err != nil {
		return 0, fmt.Errorf("writing output: %w", err)
	}
	return stripped, nil
}

// stripDocument is Strip's filter: the document without the overlay, and
// how many pod templates it stripped. A workload spliced before is cut out
// of its text, which gives back its bytes; anything else is parsed.
func stripDocument(d *blockyaml.Doc, kinds overlay.KindTable, e entry, raw []byte) ([]byte, int, error) {
	if !bytes.Contains(raw, statusMarker) {
		return raw, 0, nil
	}
	e.h = stream.ScanHeader(raw)
	preamble, body := stream.SplitPreamble(raw)
	if bytes.Contains(raw, twinMarker) {
		// A twin is the overlay's own object: it goes whole.
		if doc, err := yamltree.ParseBody(preamble, body); err == nil && podedit.IsTwin(doc.Content[0]) {
			return nil, 1, nil
		}
	}
	if out, ok := unspliceDocument(d, kinds, e.h, preamble, body); ok {
		return out, 1, nil
	}
	doc, err := yamltree.ParseBody(preamble, body)
	if err != nil {
		return nil, 0, docErr(e, "", "", err)
	}
	n, err := stripObject(doc.Content[0], kinds)
	if err != nil {
		return nil, 0, docErr(e, "", "", err)
	}
	if n == 0 {
		return raw, 0, nil
	}
	out, err := yamltree.Encode(raw, preamble, body, doc)
	return out, n, err
}

// unspliceDocument strips a workload by cutting the overlay out of its
// text. ok false means "parse it": not a block-style workload, or not one
// to strip.
func unspliceDocument(d *blockyaml.Doc, kinds overlay.KindTable, h stream.Header, preamble, body []byte) ([]byte, bool) {
	if !h.Sure {
		return nil, false
	}
	wk, ok := kinds.Lookup(h.APIVersion, h.Kind)
	if !ok || !d.Index(body) {
		return nil, false
	}
	tmpl := d.Path(blockyaml.Root, wk.Path()...)
	if d.Kind(tmpl) != blockyaml.Map {
		return nil, false
	}
	stripped, ok := podedit.Unsplice(d, tmpl)
	if !ok {
		return nil, false
	}
	return append(append(make([]byte, 0, len(preamble)+len(stripped)), preamble...), stripped...), true
}

// stripObject strips one object, or each item of a List.
func stripObject(obj *yaml.Node, kinds overlay.KindTable) (int, error) {
	apiVersion := yamltree.Value(yamltree.MapGet(obj, "apiVersion"))
	kind := yamltree.Value(yamltree.MapGet(obj, "kind"))
	if items := yamltree.MapGet(obj, "items"); items != nil && items.Kind == yaml.SequenceNode {
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
	wk, ok := kinds.Lookup(apiVersion, kind)
	if !ok {
		return 0, nil
	}
	tmpl := obj
	if path := wk.Path(); path != nil {
		tmpl = yamltree.MapPath(obj, path...)
	}
	done, err := podedit.StripTree(tmpl)
	if err != nil || !done {
		return 0, err
	}
	return 1, nil
}
