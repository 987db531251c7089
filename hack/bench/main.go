// Command bench generates benchmark streams and checks rendered ones.
//
//	go run ./hack/bench gen -docs 1000 -out /tmp/stream-1000.yaml
//	go run ./hack/bench gen -crds -docs 10 -out /tmp/crds.yaml
//	go run ./hack/bench verify -in out.yaml -sidecar debug -init debug-overlay-copy -volume debug-scratch -strict
//
//	go run ./hack/bench table -in /tmp/debug-overlay-bench/results.tsv
//
// gen writes a deterministic Helm-like release (see package streamgen);
// verify counts, per workload kind, the pod specs that got the sidecar, the
// init container and the volume, so a comparison proves that every tool did
// the work it is timed for; table summarises compare.sh's measurements as
// Markdown.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"text/tabwriter"

	"go.yaml.in/yaml/v3"

	"github.com/debug-overlay/debug-overlay/hack/bench/streamgen"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: bench gen|verify|table [flags]")
	}
	switch args[0] {
	case "gen":
		return gen(args[1:])
	case "verify":
		return verify(args[1:])
	case "table":
		return table(args[1:])
	}
	return fmt.Errorf("unknown command %q (valid: gen, table, verify)", args[0])
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	docs := fs.Int("docs", 1000, "Number of documents")
	seed := fs.Uint64("seed", 1, "Seed; the same seed and size give the same bytes")
	out := fs.String("out", "-", "Output file, - for stdout")
	crds := fs.Bool("crds", false, "Only large CustomResourceDefinitions, as a CRD-only chart renders (-docs 10: about 4.5 MB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	w := io.Writer(os.Stdout)
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	st, err := streamgen.Write(w, streamgen.Options{Docs: *docs, Seed: *seed, CRDs: *crds})
	if err != nil {
		return fmt.Errorf("writing stream: %w", err)
	}
	workloads := 0
	for _, k := range streamgen.WorkloadKinds {
		workloads += st.Kinds[k]
	}
	fmt.Fprintf(os.Stderr, "bench gen: %d documents, %d bytes (%.1f MB), %d workloads, %d mount %q, %d CRDs\n",
		st.Docs, st.Bytes, float64(st.Bytes)/1e6, workloads, st.WithCopyVolume, streamgen.CopyVolume, st.Kinds["CustomResourceDefinition"])
	if *out != "-" {
		return w.(*os.File).Close()
	}
	return nil
}

// podSpecPath is where each workload kind keeps its pod spec.
var podSpecPath = map[string][]string{
	"Pod":         {"spec"},
	"Deployment":  {"spec", "template", "spec"},
	"StatefulSet": {"spec", "template", "spec"},
	"DaemonSet":   {"spec", "template", "spec"},
	"ReplicaSet":  {"spec", "template", "spec"},
	"Job":         {"spec", "template", "spec"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template", "spec"},
}

type tally struct{ n, sidecar, init, volume int }

func verify(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	in := fs.String("in", "-", "Rendered stream, - for stdin")
	sidecar := fs.String("sidecar", "debug", "Container (or native sidecar) every workload must have")
	initName := fs.String("init", "", "Init container to count")
	volume := fs.String("volume", "", "Volume to count")
	strict := fs.Bool("strict", false, "Require the init container and the volume on every workload too")
	docs := fs.Int("docs", 0, "Expected number of documents (0: do not check)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r := io.Reader(os.Stdin)
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	tallies := map[string]*tally{}
	total := 0
	err := eachDocument(r, func(doc []byte) error {
		kind := topLevel(doc, "kind")
		if kind == "" {
			return nil // only comments and separators
		}
		total++
		path, ok := podSpecPath[kind]
		if !ok {
			return nil
		}
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return fmt.Errorf("document %d (%s): %w", total, kind, err)
		}
		t := tallies[kind]
		if t == nil {
			t = &tally{}
			tallies[kind] = t
		}
		t.n++
		spec := dig(obj, path)
		if hasNamed(spec["containers"], *sidecar) || hasNamed(spec["initContainers"], *sidecar) {
			t.sidecar++
		}
		if *initName != "" && hasNamed(spec["initContainers"], *initName) {
			t.init++
		}
		if *volume != "" && hasNamed(spec["volumes"], *volume) {
			t.volume++
		}
		return nil
	})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "kind\tworkloads\tsidecar %s\tinit %s\tvolume %s\t\n", *sidecar, *initName, *volume)
	var problems []string
	kinds := make([]string, 0, len(tallies))
	for k := range tallies {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		t := tallies[k]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", k, t.n, t.sidecar, t.init, t.volume)
		if t.sidecar != t.n {
			problems = append(problems, fmt.Sprintf("%s: %d of %d without sidecar %q", k, t.n-t.sidecar, t.n, *sidecar))
		}
		if *strict && *initName != "" && t.init != t.n {
			problems = append(problems, fmt.Sprintf("%s: %d of %d without init container %q", k, t.n-t.init, t.n, *initName))
		}
		if *strict && *volume != "" && t.volume != t.n {
			problems = append(problems, fmt.Sprintf("%s: %d of %d without volume %q", k, t.n-t.volume, t.n, *volume))
		}
	}
	tw.Flush()
	fmt.Printf("documents: %d\n", total)
	if *docs > 0 && total != *docs {
		problems = append(problems, fmt.Sprintf("want %d documents, got %d", *docs, total))
	}
	for _, k := range streamgen.WorkloadKinds {
		if tallies[k] == nil {
			problems = append(problems, fmt.Sprintf("no %s in the stream", k))
		}
	}
	if len(problems) > 0 {
		return errors.New(fmt.Sprint(problems))
	}
	return nil
}

// eachDocument calls f with each document of a stream split at column-0
// `---` lines.
func eachDocument(r io.Reader, f func([]byte) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var doc []byte
	for {
		line, err := br.ReadBytes('\n')
		if bytes.HasPrefix(line, []byte("---")) && len(bytes.TrimSpace(line)) == 3 {
			if ferr := f(doc); ferr != nil {
				return ferr
			}
			doc = doc[:0]
		} else {
			doc = append(doc, line...)
		}
		if errors.Is(err, io.EOF) {
			return f(doc)
		}
		if err != nil {
			return err
		}
	}
}

// topLevel returns the plain value of a column-0 key.
func topLevel(doc []byte, key string) string {
	prefix := []byte(key + ":")
	for line := range bytes.Lines(doc) {
		if bytes.HasPrefix(line, prefix) {
			return string(bytes.Trim(bytes.TrimSpace(line[len(prefix):]), `"'`))
		}
	}
	return ""
}

func dig(obj map[string]any, path []string) map[string]any {
	for _, k := range path {
		next, _ := obj[k].(map[string]any)
		obj = next
	}
	return obj
}

func hasNamed(list any, name string) bool {
	items, _ := list.([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok && m["name"] == name {
			return true
		}
	}
	return false
}
