package generator

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// OverlayObjects applies a configuration (merged onto Default) to parsed
// objects in place: the path for callers that hold objects rather than a
// byte stream, such as a KRM function with its ResourceList items. Each
// node is an object's mapping node; DebugOverlay objects among them are
// not treated specially. On error the objects may be partly changed.
func OverlayObjects(layer Config, objects []*yaml.Node) (*Report, error) {
	cfg := Default().Merge(layer)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	report := &Report{Config: cfg}
	if !cfg.IsEnabled() {
		return report, nil
	}
	st, err := newRun(report)
	if err != nil {
		return nil, err
	}
	for i, obj := range objects {
		if obj == nil || obj.Kind != yaml.MappingNode {
			continue
		}
		e := entry{index: i, h: header{
			apiVersion: scalarValue(mapGet(obj, "apiVersion")),
			kind:       scalarValue(mapGet(obj, "kind")),
		}}
		wk, ok := st.kinds.lookup(e.h.apiVersion, e.h.kind)
		if !ok {
			continue
		}
		if _, err := st.object(obj, wk, e); err != nil {
			st.errs = append(st.errs, err)
		}
	}
	return report, st.finish()
}
