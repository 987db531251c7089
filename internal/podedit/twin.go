package podedit

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/yamltree"
)

// MakeTwin builds, from the parsed workload root of kind wk, the twin that
// plan says, as a new tree (root is not changed), and returns it with its
// pod template, for the overlay. What the plan's notes do not say yet (a
// hostPort dropped, a claim shared) is added to plan.Notes.
func MakeTwin(root *yaml.Node, wk overlay.WorkloadKind, plan *overlay.TwinPlan) (twin, tmpl *yaml.Node, err error) {
	twin = yamltree.CopyNode(root, true)
	clearComments(twin)
	yamltree.MapSet(twin, "apiVersion", yamltree.Scalar(plan.Kind.APIVersion()))
	yamltree.MapSet(twin, "kind", yamltree.Scalar(plan.Kind.Kind))
	yamltree.MapDelete(twin, "status")
	meta, _, err := yamltree.MapEnsure(twin, "metadata", yaml.MappingNode)
	if err != nil {
		return nil, nil, errors.New("metadata: not a mapping")
	}
	spec := yamltree.MapGet(twin, "spec")
	if wk.TwinFromJobTemplate {
		if spec, err = fromJobTemplate(twin, meta); err != nil {
			return nil, nil, err
		}
	}
	if err := twinMetadata(meta, plan); err != nil {
		return nil, nil, err
	}
	if tmpl, err = twinController(twin, spec, wk, plan); err != nil {
		return nil, nil, err
	}
	pod, err := twinTemplate(tmpl, plan)
	if err != nil {
		return nil, nil, err
	}
	if err := twinPod(pod, plan); err != nil {
		return nil, nil, err
	}
	if err := holdTwin(tmpl, pod, plan); err != nil {
		return nil, nil, err
	}
	if plan.Kind.Claims {
		if err := twinClaims(spec, pod, root, plan); err != nil {
			return nil, nil, err
		}
	}
	return twin, tmpl, nil
}

// fromJobTemplate makes a CronJob's copy the Job of its job template: the
// template's metadata joins the object's, its spec becomes the spec.
func fromJobTemplate(twin, meta *yaml.Node) (*yaml.Node, error) {
	jt := yamltree.MapPath(twin, "spec", "jobTemplate")
	for _, field := range []string{"labels", "annotations"} {
		for _, kv := range pairs(yamltree.MapPath(jt, "metadata", field)) {
			m, _, err := yamltree.MapEnsure(meta, field, yaml.MappingNode)
			if err != nil {
				return nil, fmt.Errorf("metadata.%s: not a mapping", field)
			}
			yamltree.MapSet(m, kv[0].Value, kv[1])
		}
	}
	spec := yamltree.MapGet(jt, "spec")
	if spec == nil {
		return nil, errors.New("spec.jobTemplate.spec: missing")
	}
	yamltree.MapSet(twin, "spec", spec)
	return spec, nil
}

// twinMetadata names the twin and marks it as one: what the API server
// or a controller wrote of the original goes.
func twinMetadata(meta *yaml.Node, plan *overlay.TwinPlan) error {
	for _, key := range []string{"uid", "resourceVersion", "generation", "creationTimestamp", "ownerReferences", "managedFields", "generateName"} {
		yamltree.MapDelete(meta, key)
	}
	yamltree.MapSet(meta, "name", yamltree.Scalar(plan.Name))
	ann, _, err := yamltree.MapEnsure(meta, "annotations", yaml.MappingNode)
	if err != nil {
		return errors.New("metadata.annotations: not a mapping")
	}
	yamltree.MapSet(ann, overlay.TwinOfAnnotation, yamltree.Scalar(plan.Of))
	return nil
}

// twinController gives the twin's controller (none for a Pod) a selector of
// the twin's label alone, and one pod; it returns the pod template.
func twinController(twin, spec *yaml.Node, wk overlay.WorkloadKind, plan *overlay.TwinPlan) (*yaml.Node, error) {
	if plan.Kind.TemplatePath == "" {
		return twin, nil
	}
	label := yamltree.Scalar(overlay.TwinLabel)
	switch plan.Kind.Selector {
	case overlay.SelectorGenerated:
		yamltree.MapDelete(spec, "selector") // the controller makes its own
		yamltree.MapDelete(spec, "manualSelector")
	case overlay.SelectorMap:
		yamltree.MapSet(spec, "selector", mapping(label, yamltree.Scalar(plan.Name)))
	default:
		yamltree.MapSet(spec, "selector", mapping(yamltree.Scalar("matchLabels"), mapping(label, yamltree.Scalar(plan.Name))))
	}
	if plan.Kind.Replicas {
		yamltree.MapSet(spec, "replicas", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"})
		yamltree.MoveBefore(spec, "replicas", "selector")
	}
	if wk.TwinRecreate {
		yamltree.MapDelete(spec, "updateStrategy")
		yamltree.MapSet(spec, "strategy", mapping(yamltree.Scalar("type"), yamltree.Scalar("Recreate")))
		yamltree.MoveBefore(spec, "strategy", "template")
	}
	tmpl := yamltree.MapGet(spec, "template")
	if tmpl == nil || tmpl.Kind != yaml.MappingNode {
		return nil, errors.New("the pod template: missing or not a mapping")
	}
	return tmpl, nil
}

// twinTemplate gives the twin's pod template the plan's labels and returns
// its pod spec.
func twinTemplate(tmpl *yaml.Node, plan *overlay.TwinPlan) (*yaml.Node, error) {
	tmeta, _, err := yamltree.MapEnsure(tmpl, "metadata", yaml.MappingNode)
	if err != nil {
		return nil, errors.New("the pod template's metadata: not a mapping")
	}
	labels := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, k := range slices.Sorted(maps.Keys(plan.Labels)) {
		labels.Content = append(labels.Content, yamltree.Scalar(k), yamltree.Scalar(plan.Labels[k]))
	}
	yamltree.MapSet(tmeta, "labels", labels)
	if plan.Kind.TemplatePath != "" {
		yamltree.MoveBefore(tmpl, "metadata", "spec")
	}
	pod := yamltree.MapGet(tmpl, "spec")
	if pod == nil || pod.Kind != yaml.MappingNode {
		return nil, errors.New("the pod spec: missing or not a mapping")
	}
	return pod, nil
}

// twinPod makes the pod spec a twin's: no probes (unless kept), no host
// ports, claims of other pods read only.
func twinPod(pod *yaml.Node, plan *overlay.TwinPlan) error {
	hostPorts := 0
	for _, list := range []string{"initContainers", "containers"} {
		for _, c := range yamltree.Items(yamltree.MapGet(pod, list)) {
			if !plan.KeepProbes {
				for _, probe := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
					yamltree.MapDelete(c, probe)
				}
			}
			for _, port := range yamltree.Items(yamltree.MapGet(c, "ports")) {
				if yamltree.MapGet(port, "hostPort") != nil {
					yamltree.MapDelete(port, "hostPort")
					hostPorts++
				}
			}
		}
	}
	if hostPorts > 0 {
		plan.Notes = append(plan.Notes, fmt.Sprintf("%d hostPort(s) dropped: the twin would clash with the original on a node", hostPorts))
	}
	if v := yamltree.MapGet(pod, "hostNetwork"); v != nil && v.Value == "true" {
		plan.Notes = append(plan.Notes, "the pod uses the node's network (hostNetwork): on the original's node the twin's ports clash with the original's, and it does not start there; its traffic isolation is only what the node's ports give")
	}
	for _, v := range yamltree.Items(yamltree.MapGet(pod, "volumes")) {
		if claim := yamltree.MapGet(v, "persistentVolumeClaim"); claim != nil && claim.Kind == yaml.MappingNode {
			yamltree.MapSet(claim, "readOnly", yamltree.Bool(true))
			plan.Notes = append(plan.Notes, fmt.Sprintf("volume %q shares claim %q with the original, read only (a ReadWriteOnce claim mounts only on the node of the original's pod, a ReadWriteOncePod claim not at all: the twin then stays Pending)",
				yamltree.Value(yamltree.MapGet(v, "name")), yamltree.Value(yamltree.MapGet(claim, "claimName"))))
		}
	}
	return nil
}

// twinClaims gives a StatefulSet's twin fresh claims deleted with it, or
// mounts the original's first pod's claims read only.
func twinClaims(spec, pod, original *yaml.Node, plan *overlay.TwinPlan) error {
	templates := yamltree.Items(yamltree.MapGet(spec, "volumeClaimTemplates"))
	if len(templates) == 0 {
		return nil
	}
	if plan.Claims == overlay.ClaimsFresh {
		policy := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
			yamltree.Scalar("whenDeleted"), yamltree.Scalar("Delete"), yamltree.Scalar("whenScaled"), yamltree.Scalar("Delete")}}
		yamltree.MapSet(spec, "persistentVolumeClaimRetentionPolicy", policy)
		plan.Notes = append(plan.Notes, "the twin has claims of its own, made from the volumeClaimTemplates, empty, and deleted with it")
		return nil
	}
	origName := yamltree.Value(yamltree.MapPath(original, "metadata", "name"))
	volumes, _, err := yamltree.MapEnsure(pod, "volumes", yaml.SequenceNode)
	if err != nil {
		return errors.New("the pod spec's volumes: not a list")
	}
	var names []string
	for _, t := range templates {
		name := yamltree.Value(yamltree.MapPath(t, "metadata", "name"))
		var modes []string
		for _, m := range yamltree.Items(yamltree.MapPath(t, "spec", "accessModes")) {
			modes = append(modes, m.Value)
		}
		claim := name + "-" + origName + "-0"
		switch {
		case slices.Contains(modes, "ReadWriteOncePod"):
			return fmt.Errorf("twin.claims readOnly: claim %q is ReadWriteOncePod: only the original's pod can mount it; use twin.claims: fresh", claim)
		case !slices.Contains(modes, "ReadOnlyMany") && !slices.Contains(modes, "ReadWriteMany"):
			plan.Notes = append(plan.Notes, fmt.Sprintf("claim %q is ReadWriteOnce: the twin mounts it read only, and only on the node of the original's pod (elsewhere it stays Pending)", claim))
		}
		volumes.Content = append(volumes.Content, mapping(yamltree.Scalar("name"), yamltree.Scalar(name),
			yamltree.Scalar("persistentVolumeClaim"), mapping(yamltree.Scalar("claimName"), yamltree.Scalar(claim), yamltree.Scalar("readOnly"), yamltree.Bool(true))))
		names = append(names, name)
	}
	yamltree.MapDelete(spec, "volumeClaimTemplates")
	for _, list := range []string{"initContainers", "containers"} {
		for _, c := range yamltree.Items(yamltree.MapGet(pod, list)) {
			for _, m := range yamltree.Items(yamltree.MapGet(c, "volumeMounts")) {
				if slices.Contains(names, yamltree.Value(yamltree.MapGet(m, "name"))) {
					yamltree.MapSet(m, "readOnly", yamltree.Bool(true))
				}
			}
		}
	}
	return nil
}

// IsTwin reports whether a parsed object is a twin, made by MakeTwin.
func IsTwin(root *yaml.Node) bool {
	return yamltree.MapPath(root, "metadata", "annotations", overlay.TwinOfAnnotation) != nil
}

func clearComments(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		clearComments(c)
	}
}

func mapping(kv ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: kv}
}

// pairs returns the key and value nodes of a mapping.
func pairs(m *yaml.Node) [][2]*yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, [2]*yaml.Node{m.Content[i], m.Content[i+1]})
	}
	return out
}
