package generator

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/podedit"
	"github.com/debug-overlay/debug-overlay/internal/stream"
	"github.com/debug-overlay/debug-overlay/internal/yamltree"
)

// filter is pass 2's work on one document, for one mode: run.newFilter
// chooses it once per run. Render and Check give it a stream's documents
// (through run.pass), the KRM function its items; GeneratePatches renders.
type filter interface {
	// document returns the bytes to write for one document of a stream:
	// the document, overlaid or not, and whatever the mode adds after it.
	document(e entry, raw []byte) ([]byte, error)
	// item overlays one parsed object in place and returns the objects to
	// put where it was: itself, and whatever the mode adds after it.
	item(e entry, obj *yaml.Node) ([]*yaml.Node, error)
}

// newFilter returns the filter of the run's mode. bodies calls its
// argument with the body of every document of the input: twin mode reads
// the release's selectors from them before pass 2.
func (st *run) newFilter(bodies func(func(body []byte)) error) (filter, error) {
	if st.cfg.Mode != overlay.ModeTwin {
		return inPlace{st}, nil
	}
	rel := overlay.TwinContext{Objects: map[string]bool{}}
	err := bodies(func(body []byte) { addToRelease(&rel, body) })
	return &twins{run: st, release: rel}, err
}

// inPlace overlays the selected workloads themselves (ModeInPlace).
type inPlace struct{ *run }

// document overlays a document, if it is a selected workload: on the fast
// road where it can, else on the tree road.
func (f inPlace) document(e entry, raw []byte) ([]byte, error) {
	wk, ok, err := f.workloadKind(e)
	if err != nil || !ok {
		return raw, err
	}
	preamble, body := stream.SplitPreamble(raw)
	if !f.opts.treeOnly {
		if out, ok, err := f.spliced(e, wk, raw, preamble, body); ok || err != nil {
			return out, err
		}
	}
	doc, err := yamltree.ParseBody(preamble, body)
	if err != nil {
		return f.unparsed(e, wk, raw, body, err, false)
	}
	changed, err := f.object(doc.Content[0], wk, e)
	if err != nil || !changed {
		return raw, err
	}
	return yamltree.Encode(raw, preamble, body, doc)
}

func (f inPlace) item(e entry, obj *yaml.Node) ([]*yaml.Node, error) {
	wk, ok, err := f.workloadKind(e)
	if err == nil && ok {
		_, err = f.object(obj, wk, e)
	}
	return []*yaml.Node{obj}, err
}

// twins leave every selected workload as it is and add its twin after it
// (ModeTwin); a twin of an earlier run is dropped, as it is made anew.
type twins struct {
	*run
	release overlay.TwinContext
}

func (f *twins) document(e entry, raw []byte) ([]byte, error) {
	wk, ok, err := f.workloadKind(e)
	if err != nil || !ok {
		return raw, err
	}
	preamble, body := stream.SplitPreamble(raw)
	doc, err := yamltree.ParseBody(preamble, body)
	if err != nil {
		return f.unparsed(e, wk, raw, body, err, true)
	}
	root := doc.Content[0]
	if podedit.IsTwin(root) {
		return nil, nil
	}
	node, err := f.twin(&e, wk, root)
	if err != nil || node == nil {
		return raw, err
	}
	twin, err := encodeTwin(e, body, node)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(raw)+len(twin)+1)
	out = append(out, raw...)
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, twin...), nil
}

func (f *twins) item(e entry, obj *yaml.Node) ([]*yaml.Node, error) {
	if podedit.IsTwin(obj) {
		return nil, nil
	}
	wk, ok, err := f.workloadKind(e)
	if err != nil || !ok {
		return []*yaml.Node{obj}, err
	}
	twin, err := f.twin(&e, wk, obj)
	if twin == nil {
		return []*yaml.Node{obj}, err
	}
	return []*yaml.Node{obj, twin}, err
}

// unparsed handles a workload yaml.v3 cannot parse. Whether a workload is
// selected depends only on its metadata: read that as Kubernetes does, and
// leave alone what is not ours to change, whatever yaml.v3 thinks of the
// rest (in twin mode a twin of an earlier run is ours too).
func (st *run) unparsed(e entry, wk overlay.WorkloadKind, raw, body []byte, err error, twinsOurs bool) ([]byte, error) {
	meta, ok := lenientMeta(body, wk, e.h.Kind)
	if !ok || st.cfg.Select(meta).Selected || twinsOurs && meta.Annotations[overlay.TwinOfAnnotation] != "" {
		return nil, docErr(e, "", "", err)
	}
	st.seen = append(st.seen, strings.ToLower(meta.Kind)+"/"+meta.Name)
	st.noteSkipped(meta, "")
	return raw, nil
}
