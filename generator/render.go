package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"github.com/debug-overlay/debug-overlay/internal/stream"
	"go.yaml.in/yaml/v3"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// DefaultMemoryLimit is how many bytes of a stream a Renderer holds in
// memory before it spools to a temporary file.
const DefaultMemoryLimit = 4 << 20

// maxErrors bounds how many document errors one run reports.
const maxErrors = 20

// Renderer overlays manifest streams. Its zero value renders with the
// defaults and whatever DebugOverlay document the stream holds.
type Renderer struct {
	// Config is layered above the stream's DebugOverlay document: the final
	// configuration is Default() < stream document < Config.
	Config Config
	// TempDir holds spool files; empty means os.TempDir().
	TempDir string
	// MemoryLimit is DefaultMemoryLimit when zero.
	MemoryLimit int64

	treeOnly  bool // tests: edit every workload through yaml.v3 nodes
	rerunAnew bool // tests: write a document overlaid again anew, even when its object is the same
}

// Report says what a render did.
type Report struct {
	// Config is the configuration in effect, defaults applied.
	Config Config
	// Workloads lists the overlaid workloads, in stream order.
	Workloads []Workload
	// Findings are warnings: harmless, but worth telling.
	Findings []Finding

	spliced int // workloads overlaid by splicing, for tests
}

// Finding is a warning about one document (or the whole stream, when
// Document is empty).
type Finding struct {
	Document string
	Message  string
}

func (f Finding) String() string {
	if f.Document == "" {
		return f.Message
	}
	return f.Document + ": " + f.Message
}

// entry is one spooled input document.
type entry struct {
	off, n   int64
	h        stream.Header
	index    int
	config   bool
	parseErr error
}

// Render reads a multi-document stream from in and writes the overlaid
// stream to out. On error it writes nothing.
func (r *Renderer) Render(in io.Reader, out io.Writer) (*Report, error) {
	limit := r.MemoryLimit
	if limit <= 0 {
		limit = DefaultMemoryLimit
	}
	input := stream.NewSpool(r.TempDir, limit)
	defer input.Close()
	input.Grow(256 << 10)

	// Pass 1: spool every document and find the configuration, which Helm 3
	// places after the workloads it configures.
	var configs []*DebugOverlay
	var configErrs []error
	entries, err := spoolStream(in, input, func(e entry, body []byte) {
		obj, err := ParseDebugOverlay(body, docLabel(e, "", ""))
		if err != nil {
			configErrs = append(configErrs, err)
		} else {
			configs = append(configs, obj)
		}
	})
	if err != nil {
		return nil, err
	}
	if err := errors.Join(configErrs...); err != nil {
		return nil, err
	}
	if len(configs) > 1 {
		return nil, fmt.Errorf("the stream holds %d %s documents; keep one", len(configs), Kind)
	}
	cfg := Default()
	if len(configs) == 1 {
		cfg = cfg.Merge(configs[0].Spec)
	}
	cfg = cfg.Merge(r.Config)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	report := &Report{Config: cfg}

	output := stream.NewSpool(r.TempDir, limit)
	defer output.Close()
	output.Grow(input.Size() + input.Size()/4) // the overlay adds some
	if !cfg.IsEnabled() {
		if err := copyThrough(input, entries, output); err != nil {
			return nil, err
		}
	} else if err := r.overlay(input, entries, output, report); err != nil {
		return nil, err
	}
	if _, err := output.WriteTo(out); err != nil {
		return nil, fmt.Errorf("writing output: %w", err)
	}
	return report, nil
}

// spoolStream is pass 1: it splits in into documents, spools their bytes,
// scans their headers and hands each DebugOverlay document's body to
// config.
func spoolStream(in io.Reader, input *stream.Spool, config func(e entry, body []byte)) ([]entry, error) {
	var entries []entry
	dr := stream.NewReader(in)
	var buf []byte
	for i := 0; ; i++ {
		raw, err := dr.Next(buf)
		if errors.Is(err, io.EOF) {
			return entries, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading input: %w", err)
		}
		buf = raw
		e := entry{off: input.Size(), n: int64(len(raw)), h: stream.ScanHeader(raw), index: i}
		if _, err := input.Write(raw); err != nil {
			return nil, err
		}
		if !e.h.Sure && !e.h.Empty {
			e.h.APIVersion, e.h.Kind, e.parseErr = parseHeader(raw)
		}
		if e.h.Kind == Kind && groupOf(e.h.APIVersion) == Group {
			e.config = true
			_, body := stream.SplitPreamble(raw)
			config(e, body)
		}
		entries = append(entries, e)
	}
}

// copyThrough writes every document but the configuration, unchanged.
func copyThrough(input *stream.Spool, entries []entry, out io.Writer) error {
	start := int64(0)
	for _, e := range entries {
		if !e.config {
			continue
		}
		if err := copyRange(input, start, e.off, out); err != nil {
			return err
		}
		start = e.off + e.n
	}
	return copyRange(input, start, input.Size(), out)
}

func copyRange(s *stream.Spool, from, to int64, out io.Writer) error {
	if to <= from {
		return nil
	}
	_, err := io.Copy(out, io.NewSectionReader(s, from, to-from))
	return err
}

// run is the state of pass 2.
type run struct {
	cfg        Config
	kinds      kindTable
	overlay    *podOverlay
	report     *Report
	matched    []bool          // per target
	skipped    [][]string      // per target: workloads it matches that opted out or are hooks
	copySeen   map[string]bool // copy volumes found in selected workloads
	seen       []string        // workloads in the stream, for messages
	errs       []error
	treeOnly   bool     // no splicing: every workload goes through yaml.v3
	rerunAnew  bool     // no keeping the bytes of a document overlaid again
	doc        blockDoc // reused for every document
	projection []byte   // reused by blockDoc.podSpec
	rendered   map[renderKey][]byte
}

func newRun(report *Report) (*run, error) {
	po, err := newPodOverlay(report.Config)
	if err != nil {
		return nil, err
	}
	return &run{
		cfg:      report.Config,
		kinds:    newKindTable(report.Config.Kinds),
		overlay:  po,
		report:   report,
		matched:  make([]bool, len(report.Config.Targets)),
		rendered: map[renderKey][]byte{},
		skipped:  make([][]string, len(report.Config.Targets)),
		copySeen: map[string]bool{},
	}, nil
}

// overlay is pass 2: documents that are not workloads, or not selected, are
// copied through as bytes; selected workloads are parsed, overlaid and
// encoded again.
func (r *Renderer) overlay(input *stream.Spool, entries []entry, out io.Writer, report *Report) error {
	st, err := newRun(report)
	if err != nil {
		return err
	}
	st.treeOnly, st.rerunAnew = r.treeOnly, r.rerunAnew
	var raw []byte
	for _, e := range entries {
		if e.config {
			continue
		}
		if int64(cap(raw)) < e.n {
			raw = make([]byte, e.n)
		}
		raw = raw[:e.n]
		if _, err := input.ReadAt(raw, e.off); err != nil {
			return fmt.Errorf("reading spool: %w", err)
		}
		result, err := st.document(e, raw)
		if err != nil {
			st.errs = append(st.errs, err)
			if len(st.errs) >= maxErrors {
				break
			}
			continue
		}
		if _, err := out.Write(result); err != nil {
			return err
		}
	}
	return st.finish()
}

// finish reports the errors of the run, and a warning when it overlaid nothing.
func (st *run) finish() error {
	st.checkCoverage()
	if len(st.errs) > 0 {
		return errors.Join(st.errs...)
	}
	if len(st.report.Workloads) == 0 {
		st.report.Findings = append(st.report.Findings, Finding{Message: "the overlay is enabled but no workload in the stream was selected"})
	}
	return nil
}

// document handles one document of pass 2 and returns the bytes to write.
// A document overlaid before, which this run gives the same object again,
// keeps its bytes: a second run changes nothing, whichever road either run
// took (the tree road writes yaml.v3's layout, which splicing into it
// again need not reproduce).
func (st *run) document(e entry, raw []byte) ([]byte, error) {
	out, err := st.overlayDocument(e, raw)
	if err != nil || st.rerunAnew || bytes.Equal(out, raw) || !bytes.Contains(raw, statusMarker) {
		return out, err
	}
	_, before := stream.SplitPreamble(raw)
	if _, after := stream.SplitPreamble(out); sameObject(before, after) {
		return raw, nil
	}
	return out, nil
}

// statusMarker is how a cheap look tells a document overlaid before.
var statusMarker = []byte(StatusAnnotation)

// sameObject reports whether two documents' bodies hold the same object, as
// Kubernetes reads them.
func sameObject(x, y []byte) bool {
	var a, b any
	if sigsyaml.Unmarshal(x, &a) != nil || sigsyaml.Unmarshal(y, &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// overlayDocument overlays one document of pass 2, if it is a selected
// workload, and returns the bytes to write.
func (st *run) overlayDocument(e entry, raw []byte) ([]byte, error) {
	switch {
	case e.h.Empty:
		return raw, nil
	case e.parseErr != nil:
		return nil, fmt.Errorf("%s: %w", docLabel(e, "", ""), e.parseErr)
	case e.h.Kind == "":
		return nil, fmt.Errorf("%s: not a Kubernetes object: no kind", docLabel(e, "", ""))
	case e.h.Kind == "List" || strings.HasSuffix(e.h.Kind, "List") && groupOf(e.h.APIVersion) == "":
		return nil, fmt.Errorf("%s: %s documents are not supported: the overlay cannot see the workloads inside; render the items as separate documents",
			docLabel(e, "", ""), e.h.Kind)
	}
	wk, ok := st.kinds.lookup(e.h.APIVersion, e.h.Kind)
	if !ok {
		return raw, nil
	}
	preamble, body := stream.SplitPreamble(raw)
	if !st.treeOnly {
		if out, ok, err := st.spliced(e, wk, raw, preamble, body); ok || err != nil {
			return out, err
		}
	}
	doc, err := parseBody(preamble, body)
	if err != nil {
		// Whether a workload is selected depends only on its metadata:
		// read that as Kubernetes does, and leave alone what is not ours
		// to change, whatever yaml.v3 thinks of the rest.
		if meta, ok := lenientMeta(body, wk, e.h.Kind); ok && !st.cfg.selectWorkload(meta).selected {
			st.seen = append(st.seen, strings.ToLower(meta.kind)+"/"+meta.name)
			st.noteSkipped(meta, "")
			return raw, nil
		}
		return nil, fmt.Errorf("%s: %w", docLabel(e, "", ""), err)
	}
	changed, err := st.object(doc.Content[0], wk, e)
	if err != nil || !changed {
		return raw, err
	}
	return encodeDocument(raw, preamble, body, doc)
}

// object overlays one parsed workload in place, if it is selected, and
// reports whether it changed.
func (st *run) object(root *yaml.Node, wk WorkloadKind, e entry) (bool, error) {
	meta := workloadMeta{
		kind:        e.h.Kind,
		name:        scalarValue(mapPath(root, "metadata", "name")),
		namespace:   scalarValue(mapPath(root, "metadata", "namespace")),
		labels:      stringMap(mapPath(root, "metadata", "labels")),
		annotations: stringMap(mapPath(root, "metadata", "annotations")),
	}
	tmpl, field := root, "."
	if path := wk.templatePath(); path != nil {
		tmpl, field = mapPath(root, path...), wk.TemplatePath
		if tmpl == nil || tmpl.Kind != yaml.MappingNode {
			if e.h.Source == "" {
				e.h.Source = meta.annotations[helm4FilenameAnnotation]
			}
			st.seen = append(st.seen, strings.ToLower(meta.kind)+"/"+meta.name)
			return false, fmt.Errorf("%s: %s: missing or not a mapping", docLabel(e, meta.namespace, meta.name), field)
		}
	}
	meta.templateAnnotations = stringMap(mapPath(tmpl, "metadata", "annotations"))
	osName := scalarValue(mapPath(tmpl, "spec", "os", "name"))
	sel := st.cfg.selectWorkload(meta)
	if sel.selected {
		dups, err := checkKeys(root, 0)
		if err != nil {
			return false, fmt.Errorf("%s: not valid YAML: %w", docLabel(e, meta.namespace, meta.name), err)
		}
		slices.SortStableFunc(dups, func(a, b duplicateKey) int { return a.line - b.line })
		for _, d := range dups {
			st.report.Findings = append(st.report.Findings, Finding{Document: docLabel(e, meta.namespace, meta.name),
				Message: fmt.Sprintf("key %q is written twice (lines %d and %d): Kubernetes reads the last one, and so does the overlay", d.key, d.first, d.line)})
		}
	}
	return st.workload(e, wk, meta, sel, field, osName, &treeEditor{tmpl: tmpl})
}

// workload overlays one workload, read by object or spliced, if sel
// selected it, and reports whether it changed.
func (st *run) workload(e entry, wk WorkloadKind, meta workloadMeta, sel selection, field, osName string, edit podEditor) (bool, error) {
	if e.h.Source == "" {
		e.h.Source = meta.annotations[helm4FilenameAnnotation]
	}
	label := docLabel(e, meta.namespace, meta.name)
	st.seen = append(st.seen, strings.ToLower(meta.kind)+"/"+meta.name)
	if !sel.selected {
		st.noteSkipped(meta, "")
		return false, nil
	}
	if osName == "windows" {
		// The presets are Linux images, and the API server refuses
		// shareProcessNamespace and Linux security settings on Windows pods.
		why := "a Windows pod: the debug overlay needs Linux"
		st.noteSkipped(meta, why)
		st.report.Findings = append(st.report.Findings, Finding{Document: label, Message: why + "; left unchanged"})
		return false, nil
	}
	for _, i := range sel.matched {
		st.matched[i] = true
	}
	w, notes, err := st.overlay.apply(&podTarget{edit: edit, field: field, kind: wk, meta: meta, sel: sel, copySeen: st.copySeen})
	if err != nil {
		return false, fmt.Errorf("%s: %w", label, err)
	}
	w.Source = e.h.Source
	st.report.Workloads = append(st.report.Workloads, *w)
	for _, n := range notes {
		st.report.Findings = append(st.report.Findings, Finding{Document: label, Message: n})
	}
	return true, nil
}

// noteSkipped remembers, for the targets that match a workload which is not
// selected all the same, why: "matched no workload" would be wrong.
func (st *run) noteSkipped(meta workloadMeta, why string) {
	switch inject, set := meta.inject(); {
	case why != "":
	case set && !inject:
		why = "opted out with " + InjectAnnotation + `: "false"`
	default:
		why = "a Helm hook; set includeHooks (--include-hooks)"
	}
	for i, t := range st.cfg.Targets {
		if t.matches(meta) {
			st.skipped[i] = append(st.skipped[i], fmt.Sprintf("%s/%s (%s)", strings.ToLower(meta.kind), meta.name, why))
		}
	}
}

// checkCoverage turns targets and copy volumes that matched nothing into
// errors: the user asked for something the release does not have.
func (st *run) checkCoverage() {
	seen := strings.Join(st.seen, ", ")
	if seen == "" {
		seen = "none"
	}
	for i, ok := range st.matched {
		if !ok && len(st.skipped[i]) > 0 {
			st.errs = append(st.errs, fmt.Errorf("spec.targets[%d]: target %s matched only workloads that are not overlaid: %s",
				i, st.cfg.Targets[i], strings.Join(st.skipped[i], ", ")))
		} else if !ok {
			st.errs = append(st.errs, fmt.Errorf("spec.targets[%d]: target %s matched no workload (workloads in the stream: %s)",
				i, st.cfg.Targets[i], seen))
		}
	}
	for i, cv := range st.cfg.Copy.Volumes {
		if !st.copySeen[cv.Name] {
			st.errs = append(st.errs, fmt.Errorf("spec.copy.volumes[%d]: no selected workload has a volume named %q", i, cv.Name))
		}
	}
}

// helm4FilenameAnnotation is how Helm 4 tells a post-renderer which template
// file a document came from; it splits the output back into files by it.
const helm4FilenameAnnotation = "postrenderer.helm.sh/postrender-filename"

// parseBody parses the body of a raw document with its preamble's lines
// read as blank lines, so that the line numbers in errors count from the
// document's first line, as people see it.
func parseBody(preamble, body []byte) (*yaml.Node, error) {
	if n := bytes.Count(preamble, []byte("\n")); n > 0 {
		body = append(bytes.Repeat([]byte("\n"), n), body...)
	}
	return parseDocument(body)
}

// parseDocument parses one document's YAML into a comment-preserving tree.
func parseDocument(body []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(body))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("not valid YAML: a second document follows without a --- separator")
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a Kubernetes object: not a mapping")
	}
	keepEmptyTagged(&doc, bytes.Split(body, []byte("\n")))
	return &doc, nil
}

// keepEmptyTagged marks as strings the empty scalars written with the
// non-specific tag `!`: yaml.v3 reads them as null, Kubernetes' YAML
// reader (and the YAML spec) as "", and encoding would turn the one into
// the other.
func keepEmptyTagged(n *yaml.Node, lines [][]byte) {
	if n.Kind == yaml.ScalarNode && n.Value == "" && n.ShortTag() == "!!null" &&
		n.Line >= 1 && n.Line <= len(lines) && n.Column >= 1 && n.Column <= len(lines[n.Line-1]) &&
		lines[n.Line-1][n.Column-1] == '!' {
		n.Tag = "!!str"
	}
	for _, c := range n.Content {
		keepEmptyTagged(c, lines)
	}
}

// checkKeys refuses a mapping key that is null, as Kubernetes' YAML reader
// does (the release would not install), and lists the keys written twice
// in one mapping. Kubernetes takes the last of them; so do the tree
// helpers (mapGet and the rest), so the overlay reads and edits what the
// API server will see.
func checkKeys(n *yaml.Node, depth int) (dups []duplicateKey, err error) {
	if depth > 1000 {
		return nil, errors.New("nested too deeply")
	}
	if n.Kind == yaml.MappingNode {
		var seen map[string]int
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if k.ShortTag() == "!!null" {
				return nil, fmt.Errorf("line %d: a mapping key is null", k.Line)
			}
			if seen == nil {
				seen = make(map[string]int, len(n.Content)/2)
			}
			if line, ok := seen[k.Value]; ok {
				dups = append(dups, duplicateKey{key: k.Value, first: line, line: k.Line})
			}
			seen[k.Value] = k.Line
		}
	}
	for _, c := range n.Content {
		more, err := checkKeys(c, depth+1)
		if err != nil {
			return nil, err
		}
		dups = append(dups, more...)
	}
	return dups, nil
}

// duplicateKey is a key written again, at line, in the mapping where it was
// first written at first.
type duplicateKey struct {
	key         string
	first, line int
}

// lenientMeta reads what selection looks at (kind, name, namespace,
// labels, annotations and the pod template's annotations) as Kubernetes'
// YAML reader does: the last of duplicate keys wins, and the rest of the
// document may be anything that reader takes.
func lenientMeta(body []byte, wk WorkloadKind, kind string) (workloadMeta, bool) {
	var obj map[string]any
	if err := sigsyaml.Unmarshal(body, &obj); err != nil || obj == nil {
		return workloadMeta{}, false
	}
	md, _ := obj["metadata"].(map[string]any)
	tmpl := obj
	for _, f := range wk.templatePath() {
		tmpl, _ = tmpl[f].(map[string]any)
	}
	tmd, _ := tmpl["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	namespace, _ := md["namespace"].(string)
	return workloadMeta{
		kind:                kind,
		name:                name,
		namespace:           namespace,
		labels:              anyStrings(md["labels"]),
		annotations:         anyStrings(md["annotations"]),
		templateAnnotations: anyStrings(tmd["annotations"]),
	}, true
}

// anyStrings keeps the string values of a decoded mapping.
func anyStrings(v any) map[string]string {
	m, _ := v.(map[string]any)
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// parseHeader reads apiVersion and kind from a document the line scan could
// not read (flow style, JSON, anchors).
func parseHeader(raw []byte) (apiVersion, kind string, err error) {
	var h struct {
		APIVersion any `yaml:"apiVersion"`
		Kind       any `yaml:"kind"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&h); err != nil {
		if errors.Is(err, io.EOF) {
			return "", "", nil
		}
		// yaml.v3 refuses some YAML that Kubernetes' reader takes (a key
		// written twice): what the document is must not depend on it.
		var k struct{ APIVersion, Kind any }
		if sigsyaml.Unmarshal(raw, &k) == nil {
			a, _ := k.APIVersion.(string)
			kind, _ := k.Kind.(string)
			return a, kind, nil
		}
		return "", "", fmt.Errorf("not valid YAML: %w", err)
	}
	a, _ := h.APIVersion.(string)
	k, _ := h.Kind.(string)
	return a, k, nil
}

// encodeDocument writes a changed document: its original preamble (the `---`
// and `# Source:` lines), then the tree, with a new encoder (one encoder for
// a whole stream keeps state that grows with it) in the document's own
// sequence indentation style and line endings.
func encodeDocument(raw, preamble, body []byte, doc *yaml.Node) ([]byte, error) {
	// The encoder writes LF only; a CRLF document gets CRLF back (line
	// breaks inside scalars are LF either way once parsed).
	crlf := bytes.Contains(body, []byte("\r\n"))
	newline := []byte("\n")
	if crlf {
		body = bytes.ReplaceAll(body, []byte("\r\n"), newline)
	}
	spellFlowNulls(doc, false)
	var enc bytes.Buffer
	enc.Grow(len(raw) + 2048)
	e := yaml.NewEncoder(&enc)
	e.SetIndent(2)
	if kyaml.DeriveSeqIndentStyle(string(body)) == string(kyaml.CompactSequenceStyle) {
		e.CompactSeqIndent()
	}
	if err := e.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	if err := e.Close(); err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	encoded := enc.Bytes()
	if crlf {
		encoded = bytes.ReplaceAll(encoded, newline, []byte("\r\n"))
		newline = []byte("\r\n")
	}
	out := make([]byte, 0, len(preamble)+len(encoded)+5)
	if !bytes.HasPrefix(preamble, []byte("---")) && bytes.HasPrefix(raw, []byte("---")) {
		out = append(append(out, "---"...), newline...)
	}
	out = append(out, preamble...)
	return append(out, encoded...), nil
}

// docLabel names a document for messages: position, kind, namespace/name and
// source file, as far as known.
func docLabel(e entry, namespace, name string) string {
	s := fmt.Sprintf("document %d", e.index+1)
	if e.h.Kind != "" {
		s += " (" + e.h.Kind
		if name != "" {
			s += " "
			if namespace != "" {
				s += namespace + "/"
			}
			s += name
		}
		s += ")"
	}
	if e.h.Source != "" {
		s += " from " + e.h.Source
	}
	return s
}

// stringMap reads a mapping of strings, such as labels.
func stringMap(n *yaml.Node) map[string]string {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	m := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = n.Content[i+1].Value
	}
	return m
}
