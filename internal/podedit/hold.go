package podedit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/yamltree"
)

// holdTwin holds, in the twin's pod template tmpl (pod spec pod), the
// containers plan.Hold says (overlay/hold.go): each runs the idle loop
// instead of its program, without probes and lifecycle hooks, with its
// program recorded last in its environment and on the template, and with
// the hold volume for its release file. The held containers go to
// plan.Held. The tools they idle on come with the overlay (Apply).
func holdTwin(tmpl, pod *yaml.Node, plan *overlay.TwinPlan) error {
	h := plan.Hold
	if h == nil {
		return nil
	}
	var held []*yaml.Node
	for _, c := range yamltree.Items(yamltree.MapGet(pod, "containers")) {
		if h.Holds(yamltree.Value(yamltree.MapGet(c, "name"))) {
			held = append(held, c)
		}
	}
	inits := yamltree.Items(yamltree.MapGet(pod, "initContainers"))
	for i, name := range h.Init {
		field := fmt.Sprintf("spec.twin.holdInit[%d]", i)
		k := slices.IndexFunc(inits, func(c *yaml.Node) bool { return yamltree.Value(yamltree.MapGet(c, "name")) == name })
		if k < 0 {
			var have []string
			for _, c := range inits {
				have = append(have, yamltree.Value(yamltree.MapGet(c, "name")))
			}
			return fmt.Errorf("%s: init container %q is not in the pod (init containers: %s); narrow spec.targets to the workloads that have it",
				field, name, orNone(have))
		}
		if yamltree.Value(yamltree.MapGet(inits[k], "restartPolicy")) == string(corev1.ContainerRestartPolicyAlways) {
			return fmt.Errorf("%s: init container %q is a native sidecar (restartPolicy: Always), which runs beside the app, not before it: it is not held; leave it out", field, name)
		}
		held = append(held, inits[k])
	}
	if len(held) == 0 {
		return nil
	}
	volumes, _, err := yamltree.MapEnsure(pod, "volumes", yaml.SequenceNode)
	if err != nil {
		return fmt.Errorf("spec.%w", err)
	}
	for _, v := range volumes.Content {
		if yamltree.Value(yamltree.MapGet(v, "name")) == overlay.HoldVolumeName {
			return fmt.Errorf("spec.volumes: a volume named %q already exists, and the hold needs that name", overlay.HoldVolumeName)
		}
	}
	vol, err := yamltree.ToNode(corev1.Volume{Name: overlay.HoldVolumeName, VolumeSource: corev1.VolumeSource{
		EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}})
	if err != nil {
		return err
	}
	volumes.Style &^= yaml.FlowStyle
	volumes.Content = append(volumes.Content, vol)
	for _, c := range held {
		init := !slices.Contains(yamltree.Items(yamltree.MapGet(pod, "containers")), c)
		program, err := holdContainer(c, init)
		if err != nil {
			return err
		}
		plan.Held = append(plan.Held, program)
	}
	return recordHeld(tmpl, plan.Held)
}

// holdContainer makes one container idle and returns its program.
func holdContainer(c *yaml.Node, init bool) (overlay.Held, error) {
	name := yamltree.Value(yamltree.MapGet(c, "name"))
	list := "containers"
	if init {
		list = "initContainers"
	}
	where := fmt.Sprintf("spec.%s[name=%s]", list, name)
	words := func(key string) ([]string, error) {
		n := yamltree.MapGet(c, key)
		if n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
			return nil, nil
		}
		var out []string
		if err := yamltree.Decode(n, &out); err != nil {
			return nil, fmt.Errorf("%s.%s: not a list of strings: %w", where, key, err)
		}
		return out, nil
	}
	command, err := words("command")
	if err != nil {
		return overlay.Held{}, err
	}
	args, err := words("args")
	if err != nil {
		return overlay.Held{}, err
	}
	program := overlay.HoldProgram(name, init, command, args)

	idle, err := yamltree.ToNode(overlay.HoldCommand(name))
	if err != nil {
		return overlay.Held{}, err
	}
	yamltree.MapSet(c, "command", idle)
	for _, key := range []string{"args", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle"} {
		yamltree.MapDelete(c, key)
	}
	env, _, err := yamltree.MapEnsure(c, "env", yaml.SequenceNode)
	if err != nil {
		return overlay.Held{}, fmt.Errorf("%s.%w", where, err)
	}
	for _, e := range env.Content {
		if yamltree.Value(yamltree.MapGet(e, "name")) == overlay.HoldEnv {
			return overlay.Held{}, fmt.Errorf("%s.env: %s is set already, and the hold records the program there", where, overlay.HoldEnv)
		}
	}
	// Last, so every $(VAR) its value could hold is defined before it (it
	// holds none: each $ is doubled).
	if err := appendItem(env, corev1.EnvVar{Name: overlay.HoldEnv, Value: program.EnvValue()}); err != nil {
		return overlay.Held{}, err
	}
	mounts, _, err := yamltree.MapEnsure(c, "volumeMounts", yaml.SequenceNode)
	if err != nil {
		return overlay.Held{}, fmt.Errorf("%s.%w", where, err)
	}
	for _, m := range mounts.Content {
		if yamltree.Value(yamltree.MapGet(m, "mountPath")) == overlay.HoldPath {
			return overlay.Held{}, fmt.Errorf("%s.volumeMounts: volume %q is mounted at %s, where the hold's release file goes",
				where, yamltree.Value(yamltree.MapGet(m, "name")), overlay.HoldPath)
		}
	}
	if err := appendItem(mounts, corev1.VolumeMount{Name: overlay.HoldVolumeName, MountPath: overlay.HoldPath}); err != nil {
		return overlay.Held{}, err
	}
	return program, nil
}

// appendItem appends v to the sequence seq, in block style.
func appendItem(seq *yaml.Node, v any) error {
	n, err := yamltree.ToNode(v)
	if err != nil {
		return err
	}
	seq.Style &^= yaml.FlowStyle
	seq.Content = append(seq.Content, n)
	return nil
}

// recordHeld writes the held containers' programs on the pod template, as
// JSON, where `kubectl get -o jsonpath` finds them.
func recordHeld(tmpl *yaml.Node, held []overlay.Held) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(held); err != nil {
		return err
	}
	meta, _, err := yamltree.MapEnsure(tmpl, "metadata", yaml.MappingNode)
	if err != nil {
		return errors.New("the pod template's metadata: not a mapping")
	}
	ann, _, err := yamltree.MapEnsure(meta, "annotations", yaml.MappingNode)
	if err != nil {
		return errors.New("the pod template's metadata.annotations: not a mapping")
	}
	v := yamltree.Scalar("")
	yamltree.SetStyled(v, string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))))
	yamltree.MapSet(ann, overlay.HeldAnnotation, v)
	return nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return overlay.JoinNames(names)
}
