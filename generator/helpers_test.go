package generator

import (
	"bytes"
	"flag"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"encoding/json"
	"slices"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/podcheck"
	"github.com/debug-overlay/debug-overlay/internal/stream"
	"github.com/debug-overlay/debug-overlay/internal/testcorpus"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// updateFlag is -update: rewrite golden files instead of comparing. Another
// test file of the package may register the flag first; then it is shared.
var updateFlag = func() *flag.Flag {
	if f := flag.Lookup("update"); f != nil {
		return f
	}
	flag.Bool("update", false, "rewrite the golden files in testdata/ instead of comparing with them")
	return flag.Lookup("update")
}()

func updating() bool {
	g, ok := updateFlag.Value.(flag.Getter)
	if !ok {
		return false
	}
	b, _ := g.Get().(bool)
	return b
}

// splitRaw splits a stream into raw documents the way Render promises to
// keep them: each one from its separator line up to the next.
var splitRaw = testcorpus.SplitRaw

// parseStream parses every document of a stream, as split by splitRaw, with
// sigs.k8s.io/yaml (the way Kubernetes clients read manifests) into plain Go
// values: map[string]any for objects, nil for empty documents.
func parseStream(data []byte) ([]any, error) {
	var objs []any
	for i, raw := range splitRaw(data) {
		var obj any
		if err := sigsyaml.Unmarshal(raw, &obj); err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

// dropNulls removes the null fields of objects, recursively: Kubernetes
// reads `containers:` with no value as no containers field at all, and
// Strip may give back the one for the other.
func dropNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if x != nil {
				out[k] = dropNulls(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = dropNulls(x)
		}
		return out
	}
	return v
}

// isConfigObject reports whether a parsed document is a DebugOverlay.
func isConfigObject(obj any) bool {
	m, ok := obj.(map[string]any)
	if !ok {
		return false
	}
	kind, _ := m["kind"].(string)
	apiVersion, _ := m["apiVersion"].(string)
	return kind == overlay.Kind && overlay.GroupOf(apiVersion) == overlay.Group
}

// withoutConfigs drops the DebugOverlay documents, which Render consumes.
func withoutConfigs(objs []any) []any {
	var out []any
	for _, o := range objs {
		if !isConfigObject(o) {
			out = append(out, o)
		}
	}
	return out
}

// rawWithoutConfigs is splitRaw without the DebugOverlay documents.
func rawWithoutConfigs(t testing.TB, data []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for _, raw := range splitRaw(data) {
		if !isConfigDoc(raw) {
			out = append(out, raw)
		}
	}
	return out
}

// isConfigDoc reports whether a raw document is one DebugOverlay.
func isConfigDoc(raw []byte) bool {
	if !bytes.Contains(raw, []byte(overlay.Kind)) {
		return false // not worth parsing
	}
	objs, err := parseStream(raw)
	if err != nil {
		// Render reads a configuration without its comment lines, which
		// may hold what YAML forbids (control characters, say).
		objs, err = parseStream(commentLine.ReplaceAll(raw, nil))
	}
	return err == nil && len(objs) == 1 && isConfigObject(objs[0])
}

var commentLine = regexp.MustCompile(`(?m)^[ \t]*#.*$`)

// testNow is the clock of the tests' renders, so what depends on the time
// (spec.expires) renders the same on every day.
func testNow() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) }

// render runs a Renderer over a string.
func render(cfg overlay.Config, in []byte) ([]byte, *Report, error) {
	var out bytes.Buffer
	r := Renderer{Config: cfg, Now: testNow}
	report, err := r.Render(bytes.NewReader(in), &out)
	return out.Bytes(), report, err
}

// strip runs the zero Stripper (plus kinds) over a string.
func strip(kinds []overlay.WorkloadKind, in []byte) ([]byte, int, error) {
	var out bytes.Buffer
	s := Stripper{Kinds: kinds}
	n, err := s.Strip(bytes.NewReader(in), &out)
	return out.Bytes(), n, err
}

// secretValues returns every data and stringData value of the Secret
// documents in a stream, as written in the stream.
func secretValues(objs []any) []string {
	var vals []string
	for _, o := range objs {
		m, ok := o.(map[string]any)
		if !ok || m["kind"] != "Secret" {
			continue
		}
		for _, field := range []string{"data", "stringData"} {
			data, _ := m[field].(map[string]any)
			for _, v := range data {
				if s, ok := v.(string); ok && len(s) >= 8 {
					vals = append(vals, s)
				}
			}
		}
	}
	return vals
}

// checkInvariants asserts what must hold for every successful render of in
// into out (report is what Render returned; kinds the custom kinds, for
// Strip), and returns the problems found.
func checkInvariants(in, out []byte, report *Report, kinds []overlay.WorkloadKind) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	table := overlay.NewKindTable(kinds)

	inObjs, inErr := parseStream(in)
	_, outErr := parseStream(out)
	if inErr == nil && outErr != nil {
		bad("the output does not parse: %v", outErr)
	}

	// Document count and order; documents without the status annotation are
	// byte-identical.
	var inRaw [][]byte
	for _, raw := range splitRaw(in) {
		if isConfigDoc(raw) || isTwinDoc(raw) {
			continue // a twin of an earlier run is made anew
		}
		inRaw = append(inRaw, raw)
	}
	// Twins: each right after its original, a valid pod, one per workload.
	var outRaw [][]byte
	twins := 0
	for _, raw := range splitRaw(out) {
		if !isTwinDoc(raw) {
			outRaw = append(outRaw, raw)
			continue
		}
		twins++
		if len(outRaw) == 0 {
			bad("a twin comes first:\n%s", raw)
			continue
		}
		for _, p := range newPodProblems(outRaw[len(outRaw)-1], raw, table) {
			bad("the twin of document %d is not a valid pod: %s", len(outRaw), p)
		}
	}
	if twins > 0 && twins != len(report.Workloads) {
		bad("%d twins, the report lists %d workloads", twins, len(report.Workloads))
	}
	if len(inRaw) != len(outRaw) {
		bad("%d documents in (without configuration), %d out", len(inRaw), len(outRaw))
	} else {
		overlaid := 0
		for i := range inRaw {
			if bytes.Contains(outRaw[i], []byte(overlay.StatusAnnotation)) {
				for _, p := range newPodProblems(inRaw[i], outRaw[i], table) {
					bad("document %d: the overlay made the pod invalid: %s", i+1, p)
				}
			}
			if bytes.Contains(outRaw[i], []byte(overlay.StatusAnnotation)) && !bytes.Contains(inRaw[i], []byte(overlay.StatusAnnotation)) {
				overlaid++
				if !report.Config.IsEnabled() {
					bad("document %d was changed although the overlay is disabled", i+1)
				}
				continue
			}
			if bytes.Contains(inRaw[i], []byte(overlay.StatusAnnotation)) {
				continue // overlaid again: may change
			}
			if !bytes.Equal(inRaw[i], outRaw[i]) {
				bad("document %d is not overlaid but changed (-in +out):\n%s", i+1, cmp.Diff(string(inRaw[i]), string(outRaw[i])))
			}
		}
		if !bytes.Contains(in, []byte(overlay.StatusAnnotation)) && twins == 0 && overlaid != len(report.Workloads) {
			bad("%d documents carry the status annotation, the report lists %d workloads", overlaid, len(report.Workloads))
		}
	}

	// The bytes before each document's first YAML line (the separator and
	// Helm's `# Source:` comment) survive.
	if len(inRaw) == len(outRaw) {
		for i := range inRaw {
			if pre, _ := stream.SplitPreamble(inRaw[i]); !bytes.HasPrefix(outRaw[i], pre) {
				bad("document %d lost its preamble %q", i+1, pre)
			}
		}
	}

	// Idempotence: the configuration in effect (the stream's document is
	// gone now) applied to the output changes not a byte, whichever road
	// each run took.
	var againOut bytes.Buffer
	_, err := (&Renderer{Config: report.Config, Now: testNow}).Render(bytes.NewReader(out), &againOut)
	if again := againOut.Bytes(); err != nil {
		bad("rendering the output again: %v", err)
	} else if !bytes.Equal(again, out) {
		bad("rendering the output again changes it (-first +second):\n%s", cmp.Diff(string(out), string(again)))
	}

	if inErr != nil || outErr != nil {
		return problems
	}

	// Secret data appears exactly as often as before, and never in findings.
	for _, v := range secretValues(inObjs) {
		if got, want := bytes.Count(out, []byte(v)), bytes.Count(in, []byte(v)); got != want {
			bad("secret value %q appears %d times in the output, %d in the input", v, got, want)
		}
		for _, f := range report.Findings {
			if strings.Contains(f.String(), v) {
				bad("secret value %q appears in finding %q", v, f)
			}
		}
	}

	// Strip gives back the input's objects.
	stripped, n, err := strip(kinds, out)
	if err != nil {
		bad("strip: %v", err)
		return problems
	}
	if n != len(report.Workloads) && !bytes.Contains(in, []byte(overlay.StatusAnnotation)) {
		bad("strip removed the overlay from %d pod templates, want %d", n, len(report.Workloads))
	}
	strippedObjs, err := parseStream(stripped)
	if err != nil {
		bad("the stripped output does not parse: %v", err)
		return problems
	}
	if diff := cmp.Diff(dropNulls(withoutConfigs(inObjs)), dropNulls(strippedObjs)); diff != "" {
		bad("strip(render(in)) differs from in (-want +got):\n%s", diff)
	}
	return problems
}

// overlaidPod is the pod spec of an overlaid document, and the
// volumeClaimTemplates that add volumes to it.
type overlaidPod struct {
	doc    int // 1-based position in the stream
	kind   string
	spec   corev1.PodSpec
	claims []string
	err    error
}

// overlaidPodSpecs decodes the pod spec of every document of a stream that
// carries the status annotation.
func overlaidPodSpecs(stream []byte, kinds []overlay.WorkloadKind) []overlaidPod {
	var pods []overlaidPod
	table := overlay.NewKindTable(kinds)
	for i, raw := range splitRaw(stream) {
		if !bytes.Contains(raw, []byte(overlay.StatusAnnotation)) {
			continue
		}
		if pod, ok := decodePod(raw, table); ok {
			pod.doc = i + 1
			pods = append(pods, pod)
		}
	}
	return pods
}

// decodePod decodes the pod spec of a raw document of a workload kind.
func decodePod(raw []byte, table overlay.KindTable) (overlaidPod, bool) {
	var obj map[string]any
	if err := sigsyaml.Unmarshal(raw, &obj); err != nil {
		return overlaidPod{}, false
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	wk, ok := table.Lookup(apiVersion, kind)
	if !ok {
		return overlaidPod{}, false
	}
	pod := overlaidPod{kind: kind}
	tmpl := any(obj)
	for _, k := range wk.Path() {
		m, _ := tmpl.(map[string]any)
		tmpl = m[k]
	}
	m, _ := tmpl.(map[string]any)
	data, _ := json.Marshal(m["spec"])
	// Case-sensitive, as the API server reads: encoding/json would take a
	// `ContAiners` key for containers.
	pod.err = kjson.UnmarshalCaseSensitivePreserveInts(data, &pod.spec)
	spec, _ := obj["spec"].(map[string]any)
	vcts, _ := spec["volumeClaimTemplates"].([]any)
	for _, v := range vcts {
		vm, _ := v.(map[string]any)
		meta, _ := vm["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		pod.claims = append(pod.claims, name)
	}
	return pod, true
}

// newPodProblems applies the rules of Kubernetes' pod validation that an
// overlay can break (see podSpecProblems) to the pod of an overlaid
// document, and returns the problems its input document did not have.
func newPodProblems(in, out []byte, table overlay.KindTable) []string {
	after, ok := decodePod(out, table)
	if !ok {
		return nil
	}
	if after.err != nil {
		return []string{fmt.Sprintf("pod spec: %v", after.err)}
	}
	// The sidecar mirrors the app's mounts, invalid ones included: a problem
	// the input has in any container is not new in the sidecar.
	var before []string
	if pod, ok := decodePod(in, table); ok && pod.err == nil {
		for _, p := range podcheck.SpecProblems(&pod.spec, pod.claims) {
			before = append(before, containerName.ReplaceAllString(p, "container"))
		}
	}
	var problems []string
	for _, p := range podcheck.SpecProblems(&after.spec, after.claims) {
		if !slices.Contains(before, containerName.ReplaceAllString(p, "container")) {
			problems = append(problems, p)
		}
	}
	return problems
}

var containerName = regexp.MustCompile(`container "[^"]*"`)

// isTwinDoc tells a twin that twin mode made.
func isTwinDoc(raw []byte) bool {
	var obj struct {
		Metadata struct{ Annotations map[string]string }
	}
	return sigsyaml.Unmarshal(raw, &obj) == nil && obj.Metadata.Annotations[overlay.TwinOfAnnotation] != ""
}
