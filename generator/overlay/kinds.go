package overlay

import (
	"strings"
)

// WorkloadKind says where a kind keeps its pod template: TemplatePath is a
// dot-separated path to an object with metadata and spec (empty: the object
// itself is the pod).
type WorkloadKind struct {
	Group        string `json:"group,omitempty"`
	Kind         string `json:"kind"`
	TemplatePath string `json:"templatePath,omitempty"`
}

// BuiltinKinds is where the pod-bearing kinds of Kubernetes keep their pod
// template. Config.Kinds extends it for custom resources.
var BuiltinKinds = []WorkloadKind{
	{Group: "", Kind: "Pod"},
	{Group: "", Kind: "PodTemplate", TemplatePath: "template"},
	{Group: "", Kind: "ReplicationController", TemplatePath: "spec.template"},
	{Group: "apps", Kind: "Deployment", TemplatePath: "spec.template"},
	{Group: "apps", Kind: "StatefulSet", TemplatePath: "spec.template"},
	{Group: "apps", Kind: "DaemonSet", TemplatePath: "spec.template"},
	{Group: "apps", Kind: "ReplicaSet", TemplatePath: "spec.template"},
	{Group: "batch", Kind: "Job", TemplatePath: "spec.template"},
	{Group: "batch", Kind: "CronJob", TemplatePath: "spec.jobTemplate.spec.template"},
}

// KindTable finds the WorkloadKind of a document by group and kind.
type KindTable map[groupKind]WorkloadKind

type groupKind struct{ group, kind string }

// NewKindTable returns the built-in kinds and extra, which win.
func NewKindTable(extra []WorkloadKind) KindTable {
	t := KindTable{}
	for _, list := range [][]WorkloadKind{BuiltinKinds, extra} {
		for _, k := range list {
			t[groupKind{k.Group, k.Kind}] = k
		}
	}
	return t
}

// Lookup returns the WorkloadKind for an apiVersion and kind, if pod-bearing.
func (t KindTable) Lookup(apiVersion, kind string) (WorkloadKind, bool) {
	k, ok := t[groupKind{GroupOf(apiVersion), kind}]
	return k, ok
}

// Path splits TemplatePath into fields; nil means the object itself.
func (k WorkloadKind) Path() []string {
	if k.TemplatePath == "" {
		return nil
	}
	return strings.Split(k.TemplatePath, ".")
}

// isJobLike reports whether pods of this kind are meant to run to completion.
func (k WorkloadKind) isJobLike() bool {
	return k.Group == "batch" && (k.Kind == "Job" || k.Kind == "CronJob")
}

// GroupOf returns the group of an apiVersion: "" for v1.
func GroupOf(apiVersion string) string {
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}
