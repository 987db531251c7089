package generator

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/testcorpus"
	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
)

// renderBoth renders in on the fast road (splicing where it can) and on the
// tree road only, and returns what differs: the objects, the report's
// workloads and findings, the error. It also returns how many workloads
// the fast road spliced.
func renderBoth(cfg overlay.Config, in []byte) (problems []string, spliced, overlaid int) {
	var fast, tree bytes.Buffer
	fr, ferr := (&Renderer{Config: cfg, Now: testNow}).Render(bytes.NewReader(in), &fast)
	tr, terr := (&Renderer{Config: cfg, treeOnly: true, Now: testNow}).Render(bytes.NewReader(in), &tree)
	if fmt.Sprint(ferr) != fmt.Sprint(terr) {
		return []string{fmt.Sprintf("errors differ:\nfast: %v\ntree: %v", ferr, terr)}, 0, 0
	}
	if ferr != nil {
		return nil, 0, 0
	}
	fobjs, err := parseStream(fast.Bytes())
	if err != nil {
		return []string{fmt.Sprintf("fast output does not parse: %v\n%s", err, fast.Bytes())}, 0, 0
	}
	tobjs, err := parseStream(tree.Bytes())
	if err != nil {
		return []string{fmt.Sprintf("tree output does not parse: %v", err)}, 0, 0
	}
	if d := cmp.Diff(dropNulls(tobjs), dropNulls(fobjs)); d != "" {
		problems = append(problems, fmt.Sprintf("objects differ (-tree +fast):\n%s\nfast output:\n%s", d, fast.Bytes()))
	}
	if d := cmp.Diff(tr.Workloads, fr.Workloads); d != "" {
		problems = append(problems, fmt.Sprintf("workloads differ (-tree +fast):\n%s", d))
	}
	if d := cmp.Diff(tr.Findings, fr.Findings); d != "" {
		problems = append(problems, fmt.Sprintf("findings differ (-tree +fast):\n%s", d))
	}
	return problems, fr.spliced, len(fr.Workloads)
}

// TestSpliceGolden: on every golden case, splicing gives the objects, the
// report and the errors that editing yaml.v3 trees gives.
func TestSpliceGolden(t *testing.T) {
	total := 0
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join(c.dir, "input.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			problems, spliced, _ := renderBoth(goldenConfig(t, c.dir), in)
			for _, p := range problems {
				t.Error(p)
			}
			total += spliced
		})
	}
	if total == 0 {
		t.Error("no golden case took the fast road")
	}
	t.Logf("%d workloads spliced", total)
}

// TestSpliceRandomStreams: the same on random streams, with every
// configuration the stream generator makes; the fast road must take every
// workload the generator writes (block style only).
func TestSpliceRandomStreams(t *testing.T) {
	g := testcorpus.NewStreams(1127, false)
	spliced := 0
	for i := range 300 {
		in, cfg := g.Next()
		problems, n, overlaid := renderBoth(cfg, in)
		for _, p := range problems {
			t.Errorf("stream %d: %s\nconfig: %+v\ninput:\n%s", i, p, cfg, in)
		}
		if n != overlaid {
			t.Errorf("stream %d: %d of %d overlaid workloads spliced, want all:\n%s", i, n, overlaid, in)
		}
		if t.Failed() {
			return
		}
		spliced += n
	}
	t.Logf("%d workloads spliced", spliced)
}

// TestSpliceKeepsBytes: a spliced document keeps every line it had, in
// order; the overlay only adds lines and changes volume names in place.
func TestSpliceKeepsBytes(t *testing.T) {
	in := []byte(`# Source: app/templates/deploy.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app   # the app
spec:
  template:
    # the pod
    spec:
      containers:
      - name: app
        image: "app:1"   # pinned
        args: [--a, --b]
        volumeMounts:
        - name: tls
          mountPath: /tls # certificates
        - name: data
          mountPath: /data
      volumes:
      - name: data
        emptyDir: {}
`)
	cfg := overlay.Config{Enabled: ptr.To(true)}
	out, report, err := render(cfg, in)
	if err != nil {
		t.Fatal(err)
	}
	if report.spliced != 1 {
		t.Fatalf("spliced %d workloads, want 1", report.spliced)
	}
	rest := string(out)
	for _, line := range strings.SplitAfter(string(in), "\n") {
		i := strings.Index(rest, line)
		if i < 0 {
			t.Fatalf("line %q lost or reordered:\n%s", line, out)
		}
		rest = rest[i+len(line):]
	}
}

// TestSpliceShapes: every shape of pod spec the fast road edits gives what
// the tree road gives, and takes the fast road.
func TestSpliceShapes(t *testing.T) {
	copyTLS := overlay.Config{Enabled: ptr.To(true), Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: "tls"}}}}
	for _, tc := range []struct {
		name string
		cfg  overlay.Config
		doc  string
	}{
		{"helm style", copyTLS, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    metadata:
      labels:
        app: x
    spec:
      containers:
        - name: app
          image: app
          volumeMounts:
            - name: tls
              mountPath: /tls
      volumes:
        - name: tls
          secret:
            secretName: tls
`},
		{"compact style, no template metadata", copyTLS, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      volumes:
      - name: tls
        secret:
          secretName: tls
      containers:
      - name: app
        volumeMounts:
        - mountPath: /tls
          name: "tls"
        command:
        - |
          run
          it
`},
		{"no final newline", overlay.Config{Enabled: ptr.To(true)}, `apiVersion: v1
kind: Pod
metadata:
  name: pod
spec:
  containers:
  - name: app
    args: [x]`},
		{"empty flow and null lists", copyTLS, `apiVersion: batch/v1
kind: Job
metadata:
  name: job
spec:
  template:
    metadata:
      annotations: {}
    spec:
      restartPolicy: Never
      initContainers: []
      containers:
      - name: app
        volumeMounts:
        - name: tls
          mountPath: /tls
      volumes:
      - name: tls
        secret:
          secretName: tls
      ephemeralContainers:
`},
		{"null init containers last", overlay.Config{Enabled: ptr.To(true), Sidecar: overlay.Sidecar{Native: overlay.NativeAlways}}, `apiVersion: v1
kind: Pod
metadata:
  name: pod
spec:
  shareProcessNamespace: false
  containers:
  - name: app
  initContainers: ~
`},
		{"windows in flow style", overlay.Config{Enabled: ptr.To(true)}, `apiVersion: v1
kind: Pod
metadata:
  name: app
spec:
  os: {name: windows}
  containers:
  - name: app
`},
		{"metadata without annotations", overlay.Config{Enabled: ptr.To(true)}, `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ds
  annotations:
    "a": 'it''s'
spec:
  template:
    metadata:
      labels: {app: ds}
    spec:
      containers:
      - name: app   # the app
        env:
        - name: X
          value: "1"
        volumeMounts:
        - name: data
          mountPath: /data
          subPathExpr: $(X)
      volumes:
      - name: data
        emptyDir: {}
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			problems, spliced, _ := renderBoth(tc.cfg, []byte(tc.doc))
			for _, p := range problems {
				t.Error(p)
			}
			if want := 1 - strings.Count(tc.name, "windows"); spliced != want {
				t.Errorf("spliced %d workloads, want %d", spliced, want)
			}
		})
	}
}

// TestRerunWritesOneText: what the overlay adds is written in one text on
// both roads (issue 12): a first run on the tree road and a second run on
// the fast road, which cuts the overlay out and splices it in again, write
// the same bytes, but for where comment lines sit that yaml.v3 placed
// between the last item of a list and what the overlay added after it.
// (Render keeps the first run's bytes all the same, since the object did
// not change; rerunAnew turns that off here.)
func TestRerunWritesOneText(t *testing.T) {
	var moved []string
	spliced := 0
	for _, c := range goldenCases(t) {
		in, err := os.ReadFile(filepath.Join(c.dir, "input.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var first, second bytes.Buffer
		report, err := (&Renderer{Config: goldenConfig(t, c.dir), treeOnly: true, Now: testNow}).Render(bytes.NewReader(in), &first)
		if err != nil || len(report.Workloads) == 0 {
			continue
		}
		again, err := (&Renderer{Config: report.Config, rerunAnew: true, Now: testNow}).Render(bytes.NewReader(first.Bytes()), &second)
		if err != nil {
			t.Errorf("%s: rendering again: %v", c.name, err)
			continue
		}
		spliced += again.spliced // the rest (CRLF, anchors) take the tree road again
		if bytes.Equal(first.Bytes(), second.Bytes()) {
			continue
		}
		if diff := cmp.Diff(withoutCommentLines(first.String()), withoutCommentLines(second.String())); diff != "" {
			t.Errorf("%s: the second run writes other text (-tree road +fast road):\n%s", c.name, diff)
		}
		moved = append(moved, c.name)
	}
	if want := []string{"comments-and-empty-documents", "tabs-in-comments"}; !slices.Equal(moved, want) {
		t.Errorf("comment lines moved in %v, want %v", moved, want)
	}
	if spliced < 50 {
		t.Errorf("the second runs spliced only %d workloads", spliced)
	}
	t.Logf("%d workloads spliced over the tree road's output", spliced)
}

// withoutCommentLines drops the lines that hold only a comment.
func withoutCommentLines(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if t := strings.TrimLeft(line, " \t"); !strings.HasPrefix(t, "#") {
			b.WriteString(line)
		}
	}
	return b.String()
}
