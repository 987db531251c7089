package generator

import (
	"errors"
	"fmt"
	"io"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/stream"
	"github.com/debug-overlay/debug-overlay/internal/yamltree"
)

// The one pipeline every stream driver runs (Render, Check, Strip):
//
//	reader (pass 1)  split at `---`, scan headers, spool the bytes, take out
//	                 the DebugOverlay documents
//	filter (pass 2)  one document at a time: the bytes to write, or an error
//	                 (filter.go: one per mode, chosen once per run)
//	writer           a spool, written out only once the whole stream passed
//
// The KRM function runs the same filter on the items of a ResourceList.

// entry is one spooled input document.
type entry struct {
	off, n   int64
	h        stream.Header
	index    int
	config   bool
	parseErr error
}

// input is a stream after pass 1: every document's bytes in a spool, and
// what a cheap look at each said.
type input struct {
	spool   *stream.Spool
	entries []entry
}

// readInput is pass 1: it splits in into documents, spools their bytes
// (read straight into the spool, never copied), scans their headers (as
// the split looks for each document's end) and hands each DebugOverlay
// document's body to config. The caller closes the input.
func readInput(in io.Reader, tempDir string, limit int64, config func(e entry, body []byte)) (*input, error) {
	s := stream.NewSpool(tempDir, limit)
	inp := &input{spool: s}
	dr := stream.NewSpoolReader(in, s)
	for i := 0; ; i++ {
		raw, err := dr.Next()
		if errors.Is(err, io.EOF) {
			return inp, nil
		}
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("reading input: %w", err)
		}
		e := entry{off: dr.Offset(), n: int64(len(raw)), h: dr.Header(), index: i}
		if !e.h.Sure && !e.h.Empty {
			e.h.APIVersion, e.h.Kind, e.parseErr = yamltree.ParseHeader(raw)
		}
		if e.h.Kind == overlay.Kind && overlay.GroupOf(e.h.APIVersion) == overlay.Group {
			e.config = true
			_, body := stream.SplitPreamble(raw)
			config(e, body)
		}
		inp.entries = append(inp.entries, e)
	}
}

func (in *input) Close() error { return in.spool.Close() }

// eachDocument calls fn with every raw document of a stream, in order; raw
// is valid until fn returns.
func eachDocument(in io.Reader, fn func(index int, raw []byte) error) error {
	dr := stream.NewReader(in)
	for i := 0; ; i++ {
		raw, err := dr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading input: %w", err)
		}
		if err := fn(i, raw); err != nil {
			return err
		}
	}
}

// errStop ends a pass early without an error of its own.
var errStop = errors.New("stop")

// each is pass 2: it calls fn with every document but the configuration,
// in order, until fn returns an error (errStop: none).
func (in *input) each(fn func(e entry, raw []byte) error) error {
	var raw []byte
	for _, e := range in.entries {
		if e.config {
			continue
		}
		if int64(cap(raw)) < e.n {
			raw = make([]byte, e.n)
		}
		raw = raw[:e.n]
		if _, err := in.spool.ReadAt(raw, e.off); err != nil {
			return fmt.Errorf("reading spool: %w", err)
		}
		if err := fn(e, raw); err != nil {
			if errors.Is(err, errStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

// eachBody calls fn with the body of every document but the
// configuration and empty ones, in order.
func (in *input) eachBody(fn func(body []byte)) error {
	return in.each(func(e entry, raw []byte) error {
		if !e.h.Empty {
			_, body := stream.SplitPreamble(raw)
			fn(body)
		}
		return nil
	})
}

// copyThrough writes every document but the configuration, unchanged, by
// reference to runs of the input spool: nothing is copied until out is
// written out, and the input must stay open until then.
func (in *input) copyThrough(out *stream.Spool) error {
	start := int64(0)
	for _, e := range in.entries {
		if !e.config {
			continue
		}
		if err := out.Append(in.spool, start, e.off-start); err != nil {
			return err
		}
		start = e.off + e.n
	}
	return out.Append(in.spool, start, in.spool.Size()-start)
}

// docError is an error about one document: it names the document, and the
// KRM function, which names the item in a result of its own, can take the
// message alone.
type docError struct {
	label string
	err   error
}

func (e *docError) Error() string { return e.label + ": " + e.err.Error() }
func (e *docError) Unwrap() error { return e.err }

// docLabel names a document for messages: position, kind, namespace/name and
// source file, as far as known.
func docLabel(e entry, namespace, name string) string {
	s := fmt.Sprintf("document %d", e.index+1)
	if e.h.Kind != "" {
		s += " (" + e.h.Kind
		if name != "" {
			s += " "
			if namespace != "" {
				s += namespace + "/"
			}
			s += name
		}
		s += ")"
	}
	if e.h.Source != "" {
		s += " from " + e.h.Source
	}
	return s
}

// docErr returns err about the document of e.
func docErr(e entry, namespace, name string, err error) error {
	return &docError{label: docLabel(e, namespace, name), err: err}
}
