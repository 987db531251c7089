package testcorpus

import (
	"fmt"
	"math/rand"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// Streams writes random but valid Helm-like streams: every kind of
// workload with 0-3 containers, init containers, existing native sidecars,
// volumes of every type and mounts of them (some at the same path in
// different containers), hooks, inject annotations, Secrets, comments and
// empty documents, and sometimes a DebugOverlay document.
type Streams struct {
	r   *rand.Rand
	b   strings.Builder
	seq int
	// odd writes some workloads in YAML outside the fast road's subset (a
	// key twice, a tab after a colon, CRLF, an anchor), so streams mix
	// both roads, and unselected odd workloads must pass through as they
	// are (issue 12).
	odd bool
	// accepted writes only what a real API server accepts as it is, and
	// fits each configuration to its stream (see NewAcceptedStreams).
	accepted bool
	// workloads are the workloads of the stream being written.
	workloads []written
}

// written is what Streams wrote of one workload that decides whether a
// configuration selects it, and which volumes it can copy.
type written struct {
	kind, name string
	hook       bool
	// inject and templateInject are the inject annotations' values on
	// the workload and on its pod template, "" when there is none.
	inject, templateInject string
	volumes                []string
}

// Sample is one stream of Streams and what rendering it does.
type Sample struct {
	// In is the stream.
	In []byte
	// Config is the configuration layer to render In with.
	Config overlay.Config
	// Selected counts the workloads of In that Config selects, 0 when it
	// does not enable the overlay: the documents the overlay changes when
	// In renders.
	Selected int
	// Copies are the volumes of Config.Copy.Volumes that a selected
	// workload has, in Config's order.
	Copies []string
}

// volumeTypes are the volumes a pod may get; the name says the type, so a
// configuration can pick copyable ones.
var volumeTypes = []string{"secret", "cm", "proj", "dapi", "empty", "host", "pvc"}

func (g *Streams) pick(list ...string) string { return list[g.r.Intn(len(list))] }
func (g *Streams) chance(p float64) bool      { return g.r.Float64() < p }

// pickOf picks one of list, for the overlay's lists of names.
func pickOf[T any](g *Streams, list []T) T { return list[g.r.Intn(len(list))] }

func (g *Streams) line(indent int, format string, args ...any) {
	g.b.WriteString(strings.Repeat(" ", indent))
	fmt.Fprintf(&g.b, format, args...)
	g.b.WriteString("\n")
}

// NewStreams returns a generator seeded with seed; odd makes some
// workloads odd YAML.
func NewStreams(seed int64, odd bool) *Streams {
	return &Streams{r: rand.New(rand.NewSource(seed)), odd: odd}
}

// NewAcceptedStreams returns a generator, seeded with seed, of streams that
// a real API server accepts as they are, each with a configuration that
// renders it. Unlike NewStreams' they have at least one workload and
// every workload is of a built-in kind, has no namespace, has 1-3
// containers and pod template labels its selector matches; there is no
// DebugOverlay document. Copy volumes are more frequent, and fitted
// after the stream is written: a configuration copies only volumes that
// a workload it selects has, and keeps only targets that select one.
func NewAcceptedStreams(seed int64) *Streams {
	return &Streams{r: rand.New(rand.NewSource(seed)), accepted: true}
}

// Next returns a stream and the configuration layer to render it with.
func (g *Streams) Next() ([]byte, overlay.Config) {
	s := g.Sample()
	return s.In, s.Config
}

// Sample returns a stream, the configuration layer to render it with, and
// what that configuration selects.
func (g *Streams) Sample() Sample {
	g.b.Reset()
	g.workloads = g.workloads[:0]
	cfg := g.config()
	n := g.r.Intn(7)
	configAt := -1
	if !g.accepted && g.chance(0.3) {
		configAt = g.r.Intn(n + 1)
	}
	for i := 0; i <= n; i++ {
		if i == configAt {
			g.configDocument()
		}
		if i == n {
			break
		}
		switch g.r.Intn(10) {
		case 0:
			g.other()
		case 1:
			g.b.WriteString(g.pick("---\n", "---\n# Source: empty.yaml\n", "---\n\n# nothing here\n"))
		default:
			g.workload()
		}
	}
	if g.accepted && len(g.workloads) == 0 {
		g.workload()
	}
	if g.accepted {
		g.fit(&cfg)
	}
	s := Sample{In: []byte(g.b.String()), Config: cfg}
	if cfg.Enabled == nil || !*cfg.Enabled {
		return s
	}
	var has map[string]bool
	s.Selected, has = g.selection(cfg)
	for _, cv := range cfg.Copy.Volumes {
		if has[cv.Name] {
			s.Copies = append(s.Copies, cv.Name)
		}
	}
	return s
}

// selection counts the workloads of the stream that cfg selects and
// gathers the names of their volumes.
func (g *Streams) selection(cfg overlay.Config) (int, map[string]bool) {
	n, has := 0, map[string]bool{}
	for _, w := range g.workloads {
		if w.selectedBy(cfg) {
			n++
			for _, v := range w.volumes {
				has[v] = true
			}
		}
	}
	return n, has
}

// ConfigDocument writes cfg as a DebugOverlay document, as --config reads
// it and as a chart carries it in its stream.
func ConfigDocument(tb testing.TB, cfg overlay.Config) []byte {
	tb.Helper()
	doc := overlay.DebugOverlay{APIVersion: overlay.APIVersion, Kind: overlay.Kind, Spec: cfg}
	doc.Metadata.Name = "debug"
	data, err := yaml.Marshal(doc)
	if err != nil {
		tb.Fatalf("writing the configuration as a %s: %v", overlay.Kind, err)
	}
	return data
}

// fit drops the targets of cfg that select no workload of the stream,
// then the copy volumes that no selected workload has: the overlay
// refuses a configuration that asks for what the stream does not have.
func (g *Streams) fit(cfg *overlay.Config) {
	targets := cfg.Targets
	cfg.Targets = nil
	for _, t := range targets {
		one := *cfg
		one.Targets = []overlay.Target{t}
		if slices.ContainsFunc(g.workloads, func(w written) bool { return w.matches(t) && w.selectedBy(one) }) {
			cfg.Targets = append(cfg.Targets, t)
		}
	}
	_, has := g.selection(*cfg)
	copies := cfg.Copy.Volumes
	cfg.Copy.Volumes = nil
	for _, cv := range copies {
		if has[cv.Name] {
			cfg.Copy.Volumes = append(cfg.Copy.Volumes, cv)
		}
	}
}

// selectedBy reports whether cfg, enabled, selects the workload, by the
// rules overlay.Config.Select states, written again from what Streams
// wrote: an inject annotation (the pod template's winning) "false" leaves
// it out; a hook is left out unless hooks are included or it says "true";
// without targets every other workload is selected, with targets one that
// a target names or that says "true".
func (w written) selectedBy(cfg overlay.Config) bool {
	inject := w.templateInject
	if inject == "" {
		inject = w.inject
	}
	switch {
	case inject == "false":
		return false
	case w.hook && (cfg.IncludeHooks == nil || !*cfg.IncludeHooks) && inject != "true":
		return false
	case len(cfg.Targets) == 0 || inject == "true":
		return true
	}
	return slices.ContainsFunc(cfg.Targets, w.matches)
}

// matches reports whether t names the workload; Streams writes targets
// with a kind and a name pattern only.
func (w written) matches(t overlay.Target) bool {
	ok, err := path.Match(t.Name, w.name)
	return err == nil && ok && strings.EqualFold(t.Kind, w.kind)
}

func (g *Streams) config() overlay.Config {
	cfg := overlay.Config{Enabled: ptr.To(g.chance(0.9))}
	cfg.Sidecar.Native = pickOf(g, overlay.NativeModes)
	cfg.Sidecar.Profile = pickOf(g, overlay.ProfileNames())
	cfg.AllowPrivileged = ptr.To(cfg.Sidecar.Profile == overlay.ProfileSysadmin)
	cfg.Sidecar.Preset = pickOf(g, overlay.PresetNames())
	if cfg.Sidecar.Preset == overlay.PresetCustom {
		cfg.Sidecar.Image = "registry.example.com/debug/tools:1.0"
	}
	if g.chance(0.2) {
		cfg.Sidecar.MirrorMounts = ptr.To(false)
	}
	if g.chance(0.2) {
		cfg.Sidecar.ShareProcessNamespace = ptr.To(false)
	}
	if g.chance(0.3) {
		cfg.IncludeHooks = ptr.To(true)
	}
	// Accepted streams' copy volumes are fitted to the stream afterwards,
	// which drops some.
	section, each := 0.4, 0.3
	if g.accepted {
		section, each = 0.8, 0.5
	}
	if g.chance(section) {
		for _, t := range []string{"secret", "cm", "proj", "dapi"} {
			if g.chance(each) {
				cv := overlay.CopyVolume{Name: t + "-0"}
				if g.chance(0.3) {
					cv.Rewire = ptr.To(false)
				}
				if g.chance(0.3) {
					cv.Medium = overlay.Medium(g.pick("auto", "Memory", "Disk"))
				}
				cfg.Copy.Volumes = append(cfg.Copy.Volumes, cv)
			}
		}
	}
	if g.chance(0.2) {
		cfg.Targets = []overlay.Target{{Kind: g.pick("Deployment", "StatefulSet", "Job", "Pod"), Name: g.pick("*", "w-*")}}
	}
	cfg.Kinds = []overlay.WorkloadKind{{Group: "argoproj.io", Kind: "Rollout", TemplatePath: "spec.template"}}
	if g.chance(0.2) {
		cfg.Tools.Inject = ptr.To(true)
	}
	return cfg
}

func (g *Streams) configDocument() {
	g.line(0, "---")
	g.line(0, "# Source: chart/charts/debug-overlay/templates/debugoverlay.yaml")
	g.line(0, "apiVersion: %s", overlay.APIVersion)
	g.line(0, "kind: %s", overlay.Kind)
	g.line(0, "metadata:")
	g.line(2, "name: debug")
	g.line(0, "spec:")
	g.line(2, "enabled: %v", g.chance(0.8))
	g.line(2, "sidecar:")
	g.line(4, "preset: %s", g.pick("alpine", "busybox"))
}

func (g *Streams) other() {
	g.seq++
	g.line(0, "---")
	g.line(0, "# Source: chart/templates/other-%d.yaml", g.seq)
	switch g.r.Intn(3) {
	case 0:
		g.line(0, "apiVersion: v1")
		g.line(0, "kind: Secret")
		g.line(0, "metadata:")
		g.line(2, "name: secret-%d", g.seq)
		g.line(0, "data:")
		g.line(2, "key: %s", fmt.Sprintf("c2VjcmV0LXZhbHVl%08x", g.r.Uint32()))
	case 1:
		g.line(0, "apiVersion: v1")
		g.line(0, "kind: ConfigMap")
		g.line(0, "metadata: {name: cm-%d}", g.seq)
		g.line(0, "data:")
		g.line(2, "script: |")
		g.line(4, "echo hello")
		g.line(4, "---")
	default:
		g.line(0, "apiVersion: v1")
		g.line(0, "kind: Service")
		g.line(0, "metadata:")
		g.line(2, "name: svc-%d # comment", g.seq)
		g.line(0, "spec:")
		g.line(2, "ports: [{port: 80}]")
	}
}

// workloadKinds are the kinds Streams writes workloads of.
var workloadKinds = []struct {
	kind, apiVersion string
}{
	{"Pod", "v1"}, {"PodTemplate", "v1"}, {"ReplicationController", "v1"},
	{"Deployment", "apps/v1"}, {"StatefulSet", "apps/v1"}, {"DaemonSet", "apps/v1"}, {"ReplicaSet", "apps/v1"},
	{"Job", "batch/v1"}, {"CronJob", "batch/v1"}, {"Rollout", "argoproj.io/v1alpha1"},
}

func (g *Streams) workload() {
	start := g.b.Len()
	g.writeWorkload()
	if !g.odd || !g.chance(0.3) {
		return
	}
	doc := g.b.String()[start:]
	for _, odd := range g.r.Perm(4)[:1+g.r.Intn(2)] {
		switch odd {
		case 0: // a label written twice, as some charts do
			doc = strings.Replace(doc, "\n  labels:\n", "\n  labels:\n    helm.sh/chart: c-1.0\n    helm.sh/chart: c-1.0\n", 1)
		case 1:
			doc = strings.Replace(doc, "image: ", "image:\t", 1)
		case 2:
			doc = strings.ReplaceAll(doc, "\n", "\r\n")
		case 3:
			doc = strings.Replace(doc, "\n  labels:", "\n  labels: &labels", 1)
		}
	}
	rest := g.b.String()[:start]
	g.b.Reset()
	g.b.WriteString(rest)
	g.b.WriteString(doc)
}

func (g *Streams) writeWorkload() {
	g.seq++
	kinds := workloadKinds
	if g.accepted {
		kinds = kinds[:len(kinds)-1] // no Rollout: the API server does not serve it
	}
	k := kinds[g.r.Intn(len(kinds))]
	name := fmt.Sprintf("w-%d", g.seq)
	w := written{kind: k.kind, name: name}
	g.line(0, "---")
	g.line(0, "# Source: chart/templates/%s.yaml", name)
	g.line(0, "apiVersion: %s", k.apiVersion)
	g.line(0, "kind: %s", k.kind)
	g.line(0, "metadata:")
	g.line(2, "name: %s", name)
	if !g.accepted && g.chance(0.3) {
		g.line(2, "namespace: ns-%d", g.r.Intn(2))
	}
	g.line(2, "labels:")
	g.line(4, "app: %s", name)
	w.hook = g.chance(0.15)
	inject := g.chance(0.15)
	if w.hook || inject {
		g.line(2, "annotations:")
		if w.hook {
			g.line(4, "helm.sh/hook: %s", g.pick("pre-install", "test", "post-upgrade"))
		}
		if inject {
			w.inject = g.pick("true", "false")
			g.line(4, "%s: %q", overlay.InjectAnnotation, w.inject)
		}
	}
	indent := 0
	switch k.kind {
	case "Pod":
	case "PodTemplate":
		g.line(0, "template:")
		indent = 2
	case "CronJob":
		g.line(0, "spec:")
		g.line(2, "schedule: \"@hourly\"")
		g.line(2, "jobTemplate:")
		g.line(4, "spec:")
		g.line(6, "template:")
		indent = 8
	default:
		g.line(0, "spec:")
		if k.kind == "StatefulSet" {
			g.line(2, "serviceName: %s", name)
		}
		switch k.kind {
		case "Job":
		case "ReplicationController":
			g.line(2, "selector:")
			g.line(4, "app: %s", name)
		default:
			g.line(2, "selector:")
			g.line(4, "matchLabels:")
			g.line(6, "app: %s", name)
		}
		g.line(2, "template:")
		indent = 4
	}
	// Without labels on the pod template, the selector matches nothing.
	if indent > 0 && (g.chance(0.8) || g.accepted) {
		g.line(indent, "metadata:")
		g.line(indent+2, "labels:")
		g.line(indent+4, "app: %s", name)
		if g.chance(0.1) {
			w.templateInject = g.pick("true", "false")
			g.line(indent+2, "annotations:")
			g.line(indent+4, "%s: %q", overlay.InjectAnnotation, w.templateInject)
		}
	}
	w.volumes = g.podSpec(indent, k.kind)
	g.workloads = append(g.workloads, w)
}

// podSpec writes a pod spec and returns its volumes' names.
func (g *Streams) podSpec(indent int, kind string) []string {
	g.line(indent, "spec:")
	in := indent + 2
	// Compact or indented sequences, as charts write either.
	seq := in
	if g.chance(0.5) {
		seq += 2
	}
	switch {
	case kind == "Job" || kind == "CronJob":
		g.line(in, "restartPolicy: %s", g.pick("Never", "OnFailure"))
	case kind == "Pod" || kind == "PodTemplate":
		if g.chance(0.5) {
			g.line(in, "restartPolicy: %s", g.pick("Always", "Never", "OnFailure"))
		}
	}
	switch g.r.Intn(6) {
	case 0:
		g.line(in, "hostPID: true")
	case 1:
		g.line(in, "shareProcessNamespace: %v", g.chance(0.5))
	case 2:
		g.line(in, "securityContext:")
		g.line(in+2, "runAsNonRoot: true")
		g.line(in+2, "runAsUser: %d", 1000+g.r.Intn(1000))
	}

	var volumes []string
	for _, t := range volumeTypes {
		if g.chance(0.35) {
			volumes = append(volumes, t+"-0")
		}
	}
	paths := []string{"/data", "/etc/config", "/etc/config/extra", "/secrets", "/var/run/app", "/cache"}

	inits := g.r.Intn(3)
	if inits > 0 || g.chance(0.1) {
		if inits == 0 {
			g.line(in, "initContainers: []")
		} else {
			g.line(in, "initContainers:")
		}
		for i := 0; i < inits; i++ {
			g.container(seq, fmt.Sprintf("init-%d", i), volumes, paths, i == 0 && g.chance(0.4))
		}
	}
	containers := g.r.Intn(4)
	if g.accepted && containers == 0 {
		containers = 1 + g.r.Intn(3)
	}
	if containers == 0 {
		g.line(in, "containers: []")
	} else {
		g.line(in, "containers:")
	}
	for i := 0; i < containers; i++ {
		g.container(seq, fmt.Sprintf("c-%d", i), volumes, paths, false)
	}
	if len(volumes) == 0 {
		if g.chance(0.3) {
			g.line(in, "volumes: []")
		}
		return nil
	}
	g.line(in, "volumes:")
	for _, v := range volumes {
		g.line(seq, "- name: %s", v)
		vi := seq + 2
		switch v[:strings.IndexByte(v, '-')] {
		case "secret":
			g.line(vi, "secret:")
			g.line(vi+2, "secretName: s-%d", g.seq)
			if g.chance(0.3) {
				g.line(vi+2, "optional: true")
			}
			if g.chance(0.3) {
				g.line(vi+2, "items:")
				g.line(vi+4, "- key: k")
				g.line(vi+4, "  path: dir/k")
			}
		case "cm":
			g.line(vi, "configMap:")
			g.line(vi+2, "name: cm-%d", g.seq)
			if g.chance(0.5) {
				g.line(vi+2, "defaultMode: 0644")
			}
		case "proj":
			g.line(vi, "projected:")
			g.line(vi+2, "sources:")
			g.line(vi+4, "- secret: {name: s-%d}", g.seq)
			g.line(vi+4, "- configMap: {name: cm-%d}", g.seq)
			g.line(vi+4, "- serviceAccountToken: {path: token}")
		case "dapi":
			g.line(vi, "downwardAPI:")
			g.line(vi+2, "items:")
			g.line(vi+4, "- path: labels")
			g.line(vi+4, "  fieldRef: {fieldPath: metadata.labels}")
		case "empty":
			g.line(vi, "emptyDir: {}")
		case "host":
			g.line(vi, "hostPath:")
			g.line(vi+2, "path: /var/lib/host")
		case "pvc":
			g.line(vi, "persistentVolumeClaim:")
			g.line(vi+2, "claimName: pvc-%d", g.seq)
		}
	}
	return volumes
}

// container writes one container that mounts some of volumes at distinct
// paths; native makes it an existing native sidecar.
func (g *Streams) container(indent int, name string, volumes, paths []string, native bool) {
	g.line(indent, "- name: %s # %s", name, g.pick("app", "helper", "sidecar"))
	in := indent + 2
	g.line(in, "image: example.com/%s:1.0", name)
	if native {
		g.line(in, "restartPolicy: Always")
	}
	privileged := g.chance(0.2)
	if privileged {
		g.line(in, "securityContext:")
		g.line(in+2, "privileged: true")
	}
	if len(volumes) == 0 || g.chance(0.2) {
		return
	}
	g.line(in, "volumeMounts:")
	for _, i := range g.r.Perm(len(paths))[:1+g.r.Intn(3)] {
		v := volumes[g.r.Intn(len(volumes))]
		g.line(in, "  - name: %s", v)
		g.line(in, "    mountPath: %s", paths[i])
		if g.chance(0.2) {
			g.line(in, "    subPath: %s", g.pick("sub", "001-sub.sh", `"true"`, "'10'"))
		}
		if g.chance(0.2) {
			g.line(in, "    readOnly: true")
		}
		if privileged && strings.HasPrefix(v, "host-") && g.chance(0.5) {
			g.line(in, "    mountPropagation: Bidirectional")
		}
	}
}
