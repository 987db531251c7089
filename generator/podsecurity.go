package generator

import (
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/stream"
)

// Profile auto (issue 25) chooses a workload's debug container by the Pod
// Security level of its namespace, where the stream says it: a Namespace
// document named as the workload's metadata.namespace, with the
// pod-security.kubernetes.io/enforce label. Namespace documents are few
// and small: they are read whole, once, before pass 2.

// namespaceLevels reads the Pod Security level of every Namespace
// document of the stream that has the enforce label, by name.
func (inp *input) namespaceLevels() (map[string]overlay.PodSecurity, error) {
	levels := map[string]overlay.PodSecurity{}
	var raw []byte
	for _, e := range inp.entries {
		if e.h.Kind != "Namespace" || e.h.APIVersion != "v1" {
			continue
		}
		raw = make([]byte, e.n)
		if _, err := inp.spool.ReadAt(raw, e.off); err != nil {
			return nil, err
		}
		_, body := stream.SplitPreamble(raw)
		addNamespace(levels, body)
	}
	return levels, nil
}

// itemNamespaceLevels is namespaceLevels for the KRM function's items.
func itemNamespaceLevels(items []*kyaml.RNode) map[string]overlay.PodSecurity {
	levels := map[string]overlay.PodSecurity{}
	for _, item := range items {
		if item.GetKind() == "Namespace" && item.GetApiVersion() == "v1" {
			if s, err := item.String(); err == nil {
				addNamespace(levels, []byte(s))
			}
		}
	}
	return levels
}

// addNamespace reads one Namespace object's level into levels; a document
// it cannot read it leaves out (pass 2 passes it through as it is).
func addNamespace(levels map[string]overlay.PodSecurity, doc []byte) {
	var ns struct {
		Metadata struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if sigsyaml.Unmarshal(doc, &ns) != nil || ns.Metadata.Name == "" {
		return
	}
	sec := overlay.NamespacePodSecurity(ns.Metadata.Name, ns.Metadata.Labels)
	if sec.Known() {
		sec.From += " in the stream"
		levels[ns.Metadata.Name] = sec
	}
}

// readNamespaces tells the run's overlay the levels of the stream's
// Namespace documents.
func (st *run) readNamespaces(inp *input) error {
	levels, err := inp.namespaceLevels()
	if err == nil {
		st.overlay.SetNamespaces(levels)
	}
	return err
}
