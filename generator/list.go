package generator

import (
	"errors"
	"io"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/stream"
)

// Listed is a pod-bearing workload of a stream, and whether the
// configuration selects it.
type Listed struct {
	APIVersion string
	Kind       overlay.WorkloadKind
	Meta       overlay.Meta
	Selection  overlay.Selection
	// Document names it for messages.
	Document string
}

// ListWorkloads reads a stream (rendered manifests, or a Helm release's)
// and returns its pod-bearing workloads in stream order, with the
// configuration that selects them: Default() < base < the stream's
// DebugOverlay document < over, validated. It reads what selection looks
// at, as Kubernetes reads it; nothing is overlaid. Live mode (attach)
// starts here.
func ListWorkloads(in io.Reader, base, over overlay.Config) (overlay.Config, []Listed, error) {
	inp, configs, err := readConfigured(in, "", DefaultMemoryLimit)
	if err != nil {
		return overlay.Config{}, nil, err
	}
	defer inp.Close()
	cfg, err := Resolve(append(append([]overlay.Config{base}, specs(configs)...), over)...)
	if err != nil {
		return overlay.Config{}, nil, err
	}
	kinds := overlay.NewKindTable(cfg.Kinds)
	var out []Listed
	err = inp.each(func(e entry, raw []byte) error {
		if e.h.Empty || e.h.Kind == "" {
			return nil
		}
		if e.parseErr != nil {
			return docErr(e, "", "", e.parseErr)
		}
		wk, ok := kinds.Lookup(e.h.APIVersion, e.h.Kind)
		if !ok {
			return nil
		}
		_, body := stream.SplitPreamble(raw)
		meta, ok := lenientMeta(body, wk, e.h.Kind)
		if !ok {
			return docErr(e, "", "", errors.New("not valid YAML"))
		}
		if e.h.Source == "" {
			e.h.Source = meta.Annotations[helm4FilenameAnnotation]
		}
		out = append(out, Listed{APIVersion: e.h.APIVersion, Kind: wk, Meta: meta, Selection: cfg.Select(meta),
			Document: docLabel(e, meta.Namespace, meta.Name)})
		return nil
	})
	return cfg, out, err
}
