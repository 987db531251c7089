package apiserver

import (
	"bytes"
	"fmt"
	"math/rand"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// TestRandomStreamsAccepted samples streams like the generator's property
// test (generator/property_test.go, whose builder is internal to that
// package): every built-in workload kind, with init containers, existing
// native sidecars, volumes of every copyable type and others, and mounts of
// them. Each stream is valid (the server accepts it) and the overlay's output
// for it must be accepted too, by server-side dry-run apply with strict field
// validation, without a warning the input does not draw. Half the samples
// copy volumes.
func TestRandomStreamsAccepted(t *testing.T) {
	const samples = 30
	ns := namespace(t, nil)
	g := &podStreamGen{r: rand.New(rand.NewSource(20261127))}
	var copied int
	for i := range samples {
		s := g.sample(i%2 == 1)
		if len(s.copies) > 0 {
			copied++
		}
		t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
			t.Parallel()
			s.check(t, ns)
		})
	}
	if copied < samples/3 {
		t.Errorf("only %d of %d samples copy a volume", copied, samples)
	}
}

// streamSample is one input stream and the flags to overlay it with.
type streamSample struct {
	in        []byte
	args      []string
	workloads int      // documents the overlay must change
	copies    []string // volumes the flags copy
}

func (s streamSample) check(t *testing.T, ns string) {
	cmd := exec.Command(bin, s.args...)
	cmd.Stdin = bytes.NewReader(s.in)
	out, err := testenv.Output(cmd)
	if err != nil {
		t.Fatalf("debug-overlay %s: %v\ninput:\n%s", strings.Join(s.args, " "), err, s.in)
	}
	if got := bytes.Count(out, []byte(overlay.StatusAnnotation+":")); got != s.workloads {
		t.Fatalf("%d documents carry the status annotation, want %d\noutput:\n%s", got, s.workloads, out)
	}
	if len(s.copies) > 0 && !bytes.Contains(out, []byte("-debug-copy")) {
		t.Fatalf("flags copy %q but the output has no copy volume:\n%s", s.copies, out)
	}
	warnings, err := kube.ApplyServerDryRun(ns, out)
	if err == nil && len(warnings) == 0 {
		t.Logf("accepted: %s (%d workloads, copies %q)", strings.Join(s.args, " "), s.workloads, s.copies)
		return
	}
	inWarnings, inErr := kube.ApplyServerDryRun(ns, s.in)
	if inErr != nil {
		t.Fatalf("the input itself is refused, so the sample proves nothing: %v\ninput:\n%s", inErr, s.in)
	}
	if err != nil {
		t.Fatalf("the server accepts the input but refuses the output of debug-overlay %s:\n%v\ninput:\n%s\noutput:\n%s",
			strings.Join(s.args, " "), err, s.in, out)
	}
	for _, w := range warnings {
		if !slices.Contains(inWarnings, w) {
			t.Errorf("the server warns about the output but not the input: %s\noutput:\n%s", w, out)
		}
	}
}

// podStreamGen writes seeded random streams of valid workloads.
type podStreamGen struct {
	r   *rand.Rand
	b   strings.Builder
	seq int
}

func (g *podStreamGen) pick(list ...string) string { return list[g.r.Intn(len(list))] }
func (g *podStreamGen) chance(p float64) bool      { return g.r.Float64() < p }

func (g *podStreamGen) line(indent int, format string, args ...any) {
	g.b.WriteString(strings.Repeat(" ", indent))
	fmt.Fprintf(&g.b, format, args...)
	g.b.WriteString("\n")
}

// copyable are the volume types the overlay can copy; the volume's name
// says its type.
var copyable = []string{"secret", "cm", "proj", "dapi"}

// sample builds one stream of one to three workloads; withCopy also copies
// some of the copyable volumes they have.
func (g *podStreamGen) sample(withCopy bool) streamSample {
	g.b.Reset()
	s := streamSample{args: []string{"--enable"}}
	if g.chance(0.5) {
		profiles := overlay.ProfileNames()
		s.args = append(s.args, "--profile", string(profiles[g.r.Intn(len(profiles))]), "--allow-privileged")
	}
	if g.chance(0.5) {
		s.args = append(s.args, "--native", g.pick("auto", "always", "never"))
	}
	if g.chance(0.3) {
		s.args = append(s.args, "--preset", g.pick("alpine", "busybox"))
	}
	present := map[string]bool{}
	n := 1 + g.r.Intn(3)
	for i := range n {
		if g.chance(0.3) {
			g.configMap()
		}
		// The first workload of a copying sample always has a Secret
		// volume, so there is something to copy.
		for _, v := range g.workload(withCopy && i == 0) {
			present[v] = true
		}
		s.workloads++
	}
	if withCopy {
		for _, typ := range copyable {
			v := typ + "-0"
			if present[v] && (v == "secret-0" || g.chance(0.5)) {
				s.copies = append(s.copies, v)
				s.args = append(s.args, "--copy-volume", v)
			}
		}
	}
	s.in = []byte(g.b.String())
	return s
}

func (g *podStreamGen) configMap() {
	g.seq++
	g.line(0, "---")
	g.line(0, "# Source: chart/templates/cm-%d.yaml", g.seq)
	g.line(0, "apiVersion: v1")
	g.line(0, "kind: ConfigMap")
	g.line(0, "metadata: {name: cm-%d}", g.seq)
	g.line(0, "data:")
	g.line(2, "script: |")
	g.line(4, "echo hello")
}

// workloads are the built-in kinds the generator writes.
var workloads = []struct{ kind, apiVersion string }{
	{"Pod", "v1"}, {"PodTemplate", "v1"}, {"ReplicationController", "v1"},
	{"Deployment", "apps/v1"}, {"StatefulSet", "apps/v1"}, {"DaemonSet", "apps/v1"},
	{"ReplicaSet", "apps/v1"}, {"Job", "batch/v1"}, {"CronJob", "batch/v1"},
}

// workload writes one workload and returns its pod's volume names.
func (g *podStreamGen) workload(secret bool) []string {
	g.seq++
	k := workloads[g.r.Intn(len(workloads))]
	name := fmt.Sprintf("w-%d", g.seq)
	g.line(0, "---")
	g.line(0, "# Source: chart/templates/%s.yaml", name)
	g.line(0, "apiVersion: %s", k.apiVersion)
	g.line(0, "kind: %s", k.kind)
	g.line(0, "metadata:")
	g.line(2, "name: %s", name)
	g.line(2, "labels: {app: %s}", name)
	indent := 0
	switch k.kind {
	case "Pod":
	case "PodTemplate":
		g.line(0, "template:")
		indent = 2
	case "CronJob":
		g.line(0, "spec:")
		g.line(2, `schedule: "@hourly"`)
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
			g.line(2, "selector: {app: %s}", name)
		default:
			g.line(2, "selector:")
			g.line(4, "matchLabels: {app: %s}", name)
		}
		g.line(2, "template:")
		indent = 4
	}
	if indent > 0 {
		g.line(indent, "metadata:")
		g.line(indent+2, "labels: {app: %s}", name)
	}
	return g.podSpec(indent, k.kind, secret)
}

func (g *podStreamGen) podSpec(indent int, kind string, secret bool) []string {
	g.line(indent, "spec:")
	in := indent + 2
	seq := in
	if g.chance(0.5) {
		seq += 2 // charts write compact and indented sequences
	}
	switch {
	case kind == "Job" || kind == "CronJob":
		g.line(in, "restartPolicy: %s", g.pick("Never", "OnFailure"))
	case kind == "Pod" || kind == "PodTemplate":
		g.line(in, "restartPolicy: %s", g.pick("Always", "Never", "OnFailure"))
	}
	switch g.r.Intn(5) {
	case 0:
		g.line(in, "hostPID: true")
	case 1:
		g.line(in, "shareProcessNamespace: %v", g.chance(0.5))
	case 2:
		g.line(in, "securityContext: {runAsNonRoot: true, runAsUser: %d}", 1000+g.r.Intn(1000))
	}

	var volumes []string
	for _, typ := range []string{"secret", "cm", "proj", "dapi", "empty", "host", "pvc"} {
		if typ == "secret" && secret || g.chance(0.4) {
			volumes = append(volumes, typ+"-0")
		}
	}
	if inits := g.r.Intn(3); inits > 0 {
		g.line(in, "initContainers:")
		for i := range inits {
			g.container(seq, fmt.Sprintf("init-%d", i), volumes, i == 0 && g.chance(0.4))
		}
	}
	g.line(in, "containers:")
	for i := range 1 + g.r.Intn(3) {
		g.container(seq, fmt.Sprintf("c-%d", i), volumes, false)
	}
	if len(volumes) == 0 {
		return nil
	}
	g.line(in, "volumes:")
	for _, v := range volumes {
		g.line(seq, "- name: %s", v)
		vi := seq + 2
		switch strings.TrimSuffix(v, "-0") {
		case "secret":
			g.line(vi, "secret:")
			g.line(vi+2, "secretName: s-%d", g.seq)
			if g.chance(0.4) {
				g.line(vi+2, "optional: true")
			}
			if g.chance(0.4) {
				g.line(vi+2, "items:")
				g.line(vi+4, "- {key: k, path: dir/k}")
			}
		case "cm":
			g.line(vi, "configMap: {name: cm-%d, defaultMode: 0644}", g.seq)
		case "proj":
			g.line(vi, "projected:")
			g.line(vi+2, "sources:")
			g.line(vi+4, "- secret: {name: s-%d}", g.seq)
			g.line(vi+4, "- configMap: {name: cm-%d}", g.seq)
			g.line(vi+4, "- serviceAccountToken: {path: token}")
		case "dapi":
			g.line(vi, "downwardAPI:")
			g.line(vi+2, "items:")
			g.line(vi+4, "- {path: labels, fieldRef: {fieldPath: metadata.labels}}")
		case "empty":
			g.line(vi, "emptyDir: {}")
		case "host":
			g.line(vi, "hostPath: {path: /var/lib/host}")
		case "pvc":
			g.line(vi, "persistentVolumeClaim: {claimName: pvc-%d}", g.seq)
		}
	}
	return volumes
}

// container writes one container mounting some of volumes at distinct
// paths; native makes it an existing native sidecar.
func (g *podStreamGen) container(indent int, name string, volumes []string, native bool) {
	g.line(indent, "- name: %s", name)
	in := indent + 2
	g.line(in, "image: registry.k8s.io/pause:3.10")
	if native {
		g.line(in, "restartPolicy: Always")
	}
	if len(volumes) == 0 || g.chance(0.2) {
		return
	}
	paths := []string{"/data", "/etc/config", "/etc/config/extra", "/secrets", "/var/run/app", "/cache", "/srv", "/opt/app"}
	g.line(in, "volumeMounts:")
	for i, p := range g.r.Perm(len(paths))[:1+g.r.Intn(min(len(volumes), 4))] {
		v := volumes[i%len(volumes)]
		if g.chance(0.3) {
			v = volumes[g.r.Intn(len(volumes))]
		}
		g.line(in, "  - name: %s", v)
		g.line(in, "    mountPath: %s", paths[p])
		if g.chance(0.2) {
			g.line(in, "    subPath: sub")
		}
		if g.chance(0.3) {
			g.line(in, "    readOnly: true")
		}
	}
}
