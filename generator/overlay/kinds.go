package overlay

import (
	"slices"
	"strings"
)

// WorkloadKind says where a kind keeps its pod template: TemplatePath is a
// dot-separated path to an object with metadata and spec (empty: the object
// itself is the pod). The built-in kinds carry, in Facts, everything else
// debug-overlay knows of them; Config.Kinds adds custom kinds, which have
// none.
type WorkloadKind struct {
	Group        string `json:"group,omitempty"`
	Kind         string `json:"kind"`
	TemplatePath string `json:"templatePath,omitempty"`
	// Facts is zero for a kind from the configuration.
	Facts `json:"-"`
}

// Facts are what debug-overlay knows of a built-in pod-bearing kind: how
// the API server and kubectl name it, what its controller does with its
// pods, and what its twin is. Adding a kind is adding a row to
// BuiltinKinds.
type Facts struct {
	// Version is the version of the group that serves it; Resource its
	// resource, ShortName kubectl's short name for it, if any (its
	// lowercase kind and Resource are names too).
	Version   string
	Resource  string
	ShortName string
	// Exec says `kubectl exec KIND/NAME` finds a pod of it by itself.
	Exec bool
	// Completes says its pods are meant to run to completion.
	Completes bool
	// Selector is how its controller selects its pods.
	Selector SelectorForm
	// Replicas says it runs spec.replicas copies of its pod; Claims that it
	// has volumeClaimTemplates.
	Replicas, Claims bool
	// Twin is the kind of its twin ("": it has none), TwinNote why that is
	// another kind. TwinFromJobTemplate says the twin is made of
	// spec.jobTemplate; TwinRecreate that the twin replaces its pod rather
	// than starting a second one first.
	Twin                string
	TwinNote            string
	TwinFromJobTemplate bool
	TwinRecreate        bool
	// MaxTwinName is how long the name of a twin of this kind may be: what
	// the API server allows, less what controllers add to it in the names
	// and labels of what they make (a StatefulSet's
	// controller-revision-hash label is its name, "-" and 10 characters,
	// within a label's 63; a Job's name is the job-name label of its pods).
	MaxTwinName int
}

// SelectorForm is how a controller selects its pods.
type SelectorForm int

// The selector forms.
const (
	// SelectorNone: the kind has no selector of pods (a Pod, a CronJob).
	SelectorNone SelectorForm = iota
	// SelectorLabels: spec.selector is a label selector.
	SelectorLabels
	// SelectorMap: spec.selector is a map of labels, by default the
	// template's labels (a ReplicationController).
	SelectorMap
	// SelectorGenerated: spec.selector is a label selector that the
	// controller writes itself unless told otherwise (a Job).
	SelectorGenerated
)

// BuiltinKinds are the pod-bearing kinds of Kubernetes, and what
// debug-overlay knows of each. Config.Kinds extends them for custom
// resources.
var BuiltinKinds = []WorkloadKind{
	{Group: "apps", Kind: "Deployment", TemplatePath: "spec.template", Facts: Facts{Version: "v1", Resource: "deployments",
		ShortName: "deploy", Exec: true, Selector: SelectorLabels, Replicas: true,
		Twin: "Deployment", MaxTwinName: 253 - 11}},
	{Group: "apps", Kind: "StatefulSet", TemplatePath: "spec.template", Facts: Facts{Version: "v1", Resource: "statefulsets",
		ShortName: "sts", Exec: true, Selector: SelectorLabels, Replicas: true, Claims: true,
		Twin: "StatefulSet", MaxTwinName: 63 - 11}},
	{Group: "apps", Kind: "DaemonSet", TemplatePath: "spec.template", Facts: Facts{Version: "v1", Resource: "daemonsets",
		ShortName: "ds", Exec: true, Selector: SelectorLabels,
		// A DaemonSet cannot be held to one pod; a Deployment of one
		// replica keeps the pod template, and a controller that brings the
		// pod back. One pod, never two at once: no surge over the node's
		// ports.
		Twin: "Deployment", TwinRecreate: true,
		TwinNote: "a DaemonSet runs a pod on every node and cannot be held to one: the twin is a Deployment of one replica"}},
	{Group: "apps", Kind: "ReplicaSet", TemplatePath: "spec.template", Facts: Facts{Version: "v1", Resource: "replicasets",
		ShortName: "rs", Exec: true, Selector: SelectorLabels, Replicas: true,
		Twin: "ReplicaSet", MaxTwinName: 253 - 6}},
	{Kind: "ReplicationController", TemplatePath: "spec.template", Facts: Facts{Version: "v1", Resource: "replicationcontrollers",
		ShortName: "rc", Exec: true, Selector: SelectorMap, Replicas: true,
		Twin: "ReplicationController", MaxTwinName: 253 - 6}},
	{Kind: "Pod", Facts: Facts{Version: "v1", Resource: "pods", ShortName: "po", Exec: true,
		Twin: "Pod", MaxTwinName: 253}},
	{Kind: "PodTemplate", TemplatePath: "template", Facts: Facts{Version: "v1", Resource: "podtemplates"}},
	{Group: "batch", Kind: "Job", TemplatePath: "spec.template", Facts: Facts{Version: "v1", Resource: "jobs",
		Exec: true, Completes: true, Selector: SelectorGenerated, Twin: "Job", MaxTwinName: 63}},
	{Group: "batch", Kind: "CronJob", TemplatePath: "spec.jobTemplate.spec.template", Facts: Facts{Version: "v1", Resource: "cronjobs",
		ShortName: "cj", Completes: true,
		// A CronJob's twin would run on the schedule again and again; a
		// Job of its job template runs it once.
		Twin: "Job", TwinFromJobTemplate: true,
		TwinNote: "a CronJob's twin runs its job template once, as a Job, instead of on the schedule"}},
}

// Builtin returns the built-in kind named kind (of any group), if there is
// one.
func Builtin(kind string) (WorkloadKind, bool) {
	i := slices.IndexFunc(BuiltinKinds, func(k WorkloadKind) bool { return k.Kind == kind })
	if i < 0 {
		return WorkloadKind{}, false
	}
	return BuiltinKinds[i], true
}

// BuiltinByName returns the built-in kind that kubectl knows by name: its
// kind, resource or a short name, in any case.
func BuiltinByName(name string) (WorkloadKind, bool) {
	name = strings.ToLower(name)
	for _, k := range BuiltinKinds {
		if name == strings.ToLower(k.Kind) || name == k.Resource || name == k.ShortName && name != "" {
			return k, true
		}
	}
	return WorkloadKind{}, false
}

// APIVersion is the apiVersion of a built-in kind ("" for a custom one).
func (k WorkloadKind) APIVersion() string {
	switch {
	case k.Version == "":
		return ""
	case k.Group == "":
		return k.Version
	}
	return k.Group + "/" + k.Version
}

// KindTable finds the WorkloadKind of a document by group and kind.
type KindTable map[groupKind]WorkloadKind

type groupKind struct{ group, kind string }

// NewKindTable returns the built-in kinds and extra, which win (a built-in
// kind given again keeps its facts).
func NewKindTable(extra []WorkloadKind) KindTable {
	t := KindTable{}
	for _, k := range BuiltinKinds {
		t[groupKind{k.Group, k.Kind}] = k
	}
	for _, k := range extra {
		key := groupKind{k.Group, k.Kind}
		k.Facts = t[key].Facts
		t[key] = k
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

// GroupOf returns the group of an apiVersion: "" for v1.
func GroupOf(apiVersion string) string {
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}
