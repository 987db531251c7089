package generator

import (
	"strings"
)

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

// kindTable finds the WorkloadKind of a document by group and kind.
type kindTable map[groupKind]WorkloadKind

type groupKind struct{ group, kind string }

func newKindTable(extra []WorkloadKind) kindTable {
	t := kindTable{}
	for _, list := range [][]WorkloadKind{BuiltinKinds, extra} {
		for _, k := range list {
			t[groupKind{k.Group, k.Kind}] = k
		}
	}
	return t
}

// lookup returns the WorkloadKind for an apiVersion and kind, if pod-bearing.
func (t kindTable) lookup(apiVersion, kind string) (WorkloadKind, bool) {
	k, ok := t[groupKind{groupOf(apiVersion), kind}]
	return k, ok
}

// templatePath splits TemplatePath into fields; nil means the object itself.
func (k WorkloadKind) templatePath() []string {
	if k.TemplatePath == "" {
		return nil
	}
	return strings.Split(k.TemplatePath, ".")
}

// isJobLike reports whether pods of this kind are meant to run to completion.
func (k WorkloadKind) isJobLike() bool {
	return k.Group == "batch" && (k.Kind == "Job" || k.Kind == "CronJob")
}

func groupOf(apiVersion string) string {
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}
