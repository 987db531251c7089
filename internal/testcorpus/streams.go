package testcorpus

import (
	"fmt"
	"math/rand"
	"strings"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"k8s.io/utils/ptr"
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
}

// volumeTypes are the volumes a pod may get; the name says the type, so a
// configuration can pick copyable ones.
var volumeTypes = []string{"secret", "cm", "proj", "dapi", "empty", "host", "pvc"}

func (g *Streams) pick(list ...string) string { return list[g.r.Intn(len(list))] }
func (g *Streams) chance(p float64) bool      { return g.r.Float64() < p }

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

// Next returns a stream and the configuration layer to render it with.
func (g *Streams) Next() ([]byte, overlay.Config) {
	g.b.Reset()
	cfg := g.config()
	n := g.r.Intn(7)
	configAt := -1
	if g.chance(0.3) {
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
	return []byte(g.b.String()), cfg
}

func (g *Streams) config() overlay.Config {
	cfg := overlay.Config{Enabled: ptr.To(g.chance(0.9))}
	cfg.Sidecar.Native = overlay.NativeMode(g.pick(string(overlay.NativeAuto), string(overlay.NativeAlways), string(overlay.NativeNever)))
	cfg.Sidecar.Profile = overlay.ProfileName(g.pick("general", "baseline", "restricted", "netadmin", "sysadmin"))
	cfg.AllowPrivileged = ptr.To(cfg.Sidecar.Profile == overlay.ProfileSysadmin)
	cfg.Sidecar.Preset = overlay.PresetName(g.pick("alpine", "busybox", "toolbox"))
	if g.chance(0.2) {
		cfg.Sidecar.MirrorMounts = ptr.To(false)
	}
	if g.chance(0.2) {
		cfg.Sidecar.ShareProcessNamespace = ptr.To(false)
	}
	if g.chance(0.3) {
		cfg.IncludeHooks = ptr.To(true)
	}
	if g.chance(0.4) {
		for _, t := range []string{"secret", "cm", "proj", "dapi"} {
			if g.chance(0.3) {
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
	k := workloadKinds[g.r.Intn(len(workloadKinds))]
	name := fmt.Sprintf("w-%d", g.seq)
	g.line(0, "---")
	g.line(0, "# Source: chart/templates/%s.yaml", name)
	g.line(0, "apiVersion: %s", k.apiVersion)
	g.line(0, "kind: %s", k.kind)
	g.line(0, "metadata:")
	g.line(2, "name: %s", name)
	if g.chance(0.3) {
		g.line(2, "namespace: ns-%d", g.r.Intn(2))
	}
	g.line(2, "labels:")
	g.line(4, "app: %s", name)
	hook := g.chance(0.15)
	inject := g.chance(0.15)
	if hook || inject {
		g.line(2, "annotations:")
		if hook {
			g.line(4, "helm.sh/hook: %s", g.pick("pre-install", "test", "post-upgrade"))
		}
		if inject {
			g.line(4, "%s: %q", overlay.InjectAnnotation, g.pick("true", "false"))
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
		if k.kind != "Job" {
			g.line(2, "selector:")
			g.line(4, "matchLabels:")
			g.line(6, "app: %s", name)
		}
		g.line(2, "template:")
		indent = 4
	}
	if indent > 0 && g.chance(0.8) {
		g.line(indent, "metadata:")
		g.line(indent+2, "labels:")
		g.line(indent+4, "app: %s", name)
		if g.chance(0.1) {
			g.line(indent+2, "annotations:")
			g.line(indent+4, "%s: %q", overlay.InjectAnnotation, g.pick("true", "false"))
		}
	}
	g.podSpec(indent, k.kind)
}

func (g *Streams) podSpec(indent int, kind string) {
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
		return
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
