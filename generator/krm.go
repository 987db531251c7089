package generator

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/stream"
	"github.com/debug-overlay/debug-overlay/internal/yamltree"
	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// FunctionCheckKind is the kind of the marker object that the kustomize
// Component overlays/debug adds to the stream. kustomize skips exec functions
// without --enable-exec and still exits 0; the function marks every such
// object config.kubernetes.io/local-config (so kustomize drops it from its
// output), and a ReplacementTransformer after the function fails the build
// when the mark is missing, that is when the function did not run.
const FunctionCheckKind = "FunctionCheck"

// LocalConfigAnnotation marks objects that only configure client-side tools;
// kustomize leaves them out of its output and kpt does not apply them.
const LocalConfigAnnotation = "config.kubernetes.io/local-config"

// sniffSize is how much of a stream SniffResourceList reads ahead.
const sniffSize = 64 << 10

// Function runs the overlay as a KRM function, as the KRM functions
// specification (config.kubernetes.io/v1) defines one: a ResourceList in,
// the same ResourceList out with its items overlaid and the findings in
// results. Its zero value takes its whole configuration from the
// ResourceList.
//
// Configuration, lowest first: defaults, a DebugOverlay object among the
// items (consumed, like the DebugOverlay document of a Helm stream), the
// functionConfig (a DebugOverlay), Config.
//
// Items keep every annotation the orchestrator set (config.kubernetes.io/*,
// internal.config.kubernetes.io/*, kustomize's ids), their comments and key
// order; only the pod templates of selected workloads change.
type Function struct {
	// Config is layered above the functionConfig: flags and --config.
	Config overlay.Config
	// Now is the clock that says whether the overlay expired.
	Now Clock
}

// Run reads a ResourceList from in, processes it and writes the resulting
// ResourceList to out. When processing fails it still writes a
// ResourceList, with the items as they came in and results of severity
// error, as orchestrators such as kpt read them; the error returned is for
// the exit code. Input that is not a ResourceList writes nothing.
func (f *Function) Run(in io.Reader, out io.Writer) (*Report, error) {
	r := &kio.ByteReader{Reader: in, OmitReaderAnnotations: true}
	items, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the ResourceList: %w", err)
	}
	if r.WrappingKind != kio.ResourceListKind {
		return nil, fmt.Errorf("reading the ResourceList: the input is not a single %s object (got %s); "+
			"for a stream of manifests run debug-overlay without a subcommand", kio.ResourceListKind, describeWrapping(r.WrappingKind))
	}
	rl := &ResourceList{Items: items, FunctionConfig: r.FunctionConfig}
	report, procErr := f.Process(rl)

	w := kio.ByteWriter{
		Writer: out,
		// The orchestrator's annotations stay on the items: kustomize maps
		// outputs back to inputs by them and kpt writes files by them.
		KeepReaderAnnotations: true,
		FunctionConfig:        rl.FunctionConfig,
		WrappingKind:          kio.ResourceListKind,
		WrappingAPIVersion:    r.WrappingAPIVersion,
	}
	if len(rl.Results) > 0 {
		data, err := kyaml.Marshal(rl.Results)
		if err != nil {
			return nil, fmt.Errorf("encoding results: %w", err)
		}
		if w.Results, err = kyaml.Parse(string(data)); err != nil {
			return nil, fmt.Errorf("encoding results: %w", err)
		}
	}
	if err := w.Write(rl.Items); err != nil {
		return nil, fmt.Errorf("writing the ResourceList: %w", err)
	}
	return report, procErr
}

func describeWrapping(kind string) string {
	if kind == "" {
		return "a stream of documents"
	}
	return "a " + kind
}

// Process overlays the items of rl in place and appends results: a warning
// per finding, an info per overlaid workload (what it got, the kubectl exec
// line), an error per problem, each with the resourceRef (and the file, when
// the orchestrator recorded one) of the item it is about.
// On error the items are left as they came in and the error joins every
// problem. DebugOverlay objects among the items are consumed; FunctionCheck
// objects are marked local-config.
func (f *Function) Process(rl *ResourceList) (*Report, error) {
	original := make([]*kyaml.RNode, len(rl.Items))
	for i, item := range rl.Items {
		original[i] = item.Copy()
	}
	report, errs := f.process(rl)
	if len(errs) == 0 {
		return report, nil
	}
	rl.Items = original
	msgs := make([]error, len(errs))
	for i, e := range errs {
		rl.Results = append(rl.Results, e.result)
		msgs[i] = e.err
	}
	return nil, errors.Join(msgs...)
}

// krmError is a problem, with its result.
type krmError struct {
	err    error
	result *Result
}

// process is Process without putting the items back on error: the
// configuration from the items and the functionConfig, then every item
// through the run's filter.
func (f *Function) process(rl *ResourceList) (*Report, []krmError) {
	layers, items, errs := configLayers(rl)
	if len(errs) > 0 {
		return nil, errs
	}
	rl.Items = items
	cfg, err := Resolve(append(layers, f.Config)...)
	if err != nil {
		return nil, []krmError{failure(nil, err)}
	}
	report := &Report{Config: cfg, Now: f.Now.Now()}
	if !cfg.IsEnabled() {
		rl.Results = append(rl.Results, &Result{Severity: SeverityInfo,
			Message: "the overlay is disabled (spec.enabled is not true): the workloads pass through unchanged"})
		return report, nil
	}
	act, err := activate(cfg, report.Now)
	if err != nil {
		return nil, []krmError{failure(nil, err)}
	}
	if act.warning != "" {
		rl.Results = append(rl.Results, &Result{Severity: SeverityWarning, Message: act.warning})
		report.Findings = append(report.Findings, Finding{Message: act.warning})
	}
	if !act.active {
		return report, nil
	}
	st, err := newRun(report, runOptions{items: true})
	if err != nil {
		return nil, []krmError{failure(nil, err)}
	}
	st.overlay.SetNamespaces(itemNamespaceLevels(rl.Items))
	if errs := overlayItems(st, rl); len(errs) > 0 {
		return nil, errs
	}
	for _, w := range report.Workloads {
		rl.Results = append(rl.Results, workloadResult(w, rl.Items))
	}
	return report, nil
}

// failure is a problem, with its result, about item (nil: the whole list).
func failure(item *kyaml.RNode, err error) krmError {
	return krmError{err: err, result: krmResult(SeverityError, err.Error(), item)}
}

// configLayers takes the configuration out of a ResourceList: the
// DebugOverlay object among the items (consumed), then the
// functionConfig. It returns the other items, FunctionCheck objects marked
// local-config.
func configLayers(rl *ResourceList) (layers []overlay.Config, items []*kyaml.RNode, errs []krmError) {
	var configs []*kyaml.RNode
	for _, item := range rl.Items {
		meta := krmMeta(item)
		switch {
		case meta.Kind == overlay.Kind && overlay.GroupOf(meta.APIVersion) == overlay.Group:
			configs = append(configs, item)
			continue
		case meta.Kind == FunctionCheckKind && overlay.GroupOf(meta.APIVersion) == overlay.Group:
			if err := item.PipeE(kyaml.SetAnnotation(LocalConfigAnnotation, "true")); err != nil {
				errs = append(errs, failure(item, fmt.Errorf("marking %s %s: %w", FunctionCheckKind, meta.Name, err)))
			}
		}
		items = append(items, item)
	}
	switch {
	case len(configs) > 1:
		errs = append(errs, failure(nil, fmt.Errorf("the items hold %d %s objects; keep one", len(configs), overlay.Kind)))
	case len(configs) == 1:
		if obj, err := parseItemConfig(configs[0]); err != nil {
			errs = append(errs, failure(configs[0], err))
		} else {
			layers = append(layers, obj.Spec)
		}
	}
	if fc := rl.FunctionConfig; fc != nil && !fc.IsNilOrEmpty() {
		if obj, err := parseFunctionConfig(fc); err != nil {
			errs = append(errs, failure(nil, err))
		} else {
			layers = append(layers, obj.Spec)
		}
	}
	return layers, items, errs
}

// overlayItems is pass 2 on the items of rl, one at a time through the
// run's filter, so that every finding and error is tied to the item it is
// about; the warnings go into rl's results when there is no error.
func overlayItems(st *run, rl *ResourceList) []krmError {
	f, err := st.newFilter(func(fn func([]byte)) error {
		for _, item := range rl.Items {
			if s, err := item.String(); err == nil {
				fn([]byte(s))
			}
		}
		return nil
	})
	if err != nil {
		return []krmError{failure(nil, err)}
	}
	var errs []krmError
	var warnings []*Result
	items := make([]*kyaml.RNode, 0, len(rl.Items))
	for i, item := range rl.Items {
		obj := item.YNode()
		if obj == nil || obj.Kind != yaml.MappingNode {
			items = append(items, item)
			continue
		}
		path, _, _ := kioutil.GetFileAnnotations(item)
		e := entry{index: i, h: stream.Header{
			APIVersion: yamltree.Value(yamltree.MapGet(obj, "apiVersion")),
			Kind:       yamltree.Value(yamltree.MapGet(obj, "kind")),
			Source:     path,
		}}
		seen := len(st.report.Findings)
		out, err := f.item(e, obj)
		for _, n := range out {
			if n == obj {
				items = append(items, item)
				continue
			}
			for _, key := range kioIdentity { // a twin must not pass for its original
				yamltree.MapDelete(yamltree.MapPath(n, "metadata", "annotations"), key)
			}
			items = append(items, kyaml.NewRNode(n))
		}
		if err != nil {
			msg := err.Error()
			if de := (*docError)(nil); errors.As(err, &de) {
				msg = de.err.Error() // the result names the item
			}
			errs = append(errs, krmError{err: err, result: krmResult(SeverityError, msg, item)})
		}
		for _, finding := range st.report.Findings[seen:] {
			warnings = append(warnings, krmResult(SeverityWarning, finding.Message, item))
		}
	}
	rl.Items = items
	seen := len(st.report.Findings)
	for _, err := range Unjoin(st.finish()) {
		errs = append(errs, failure(nil, err))
	}
	if len(errs) > 0 {
		return errs
	}
	for _, finding := range st.report.Findings[seen:] {
		warnings = append(warnings, &Result{Severity: SeverityWarning, Message: finding.String()})
	}
	rl.Results = append(rl.Results, warnings...)
	return nil
}

// kioIdentity are the annotations by which orchestrators tell items apart:
// a twin must not pass for its original.
var kioIdentity = []string{"config.k8s.io/id", "internal.config.kubernetes.io/id", "config.kubernetes.io/index",
	"internal.config.kubernetes.io/index", "internal.config.kubernetes.io/annotations-migration-resource-id"}

// parseItemConfig reads a DebugOverlay object found among the items.
func parseItemConfig(item *kyaml.RNode) (*overlay.DebugOverlay, error) {
	meta := krmMeta(item)
	source := fmt.Sprintf("%s %s", overlay.Kind, meta.Name)
	if path, _, _ := kioutil.GetFileAnnotations(item); path != "" {
		source += " from " + path
	}
	data, err := item.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return ParseDebugOverlay(data, source)
}

// parseFunctionConfig reads the functionConfig, which must be a DebugOverlay.
func parseFunctionConfig(fc *kyaml.RNode) (*overlay.DebugOverlay, error) {
	meta := krmMeta(fc)
	if meta.Kind != overlay.Kind || overlay.GroupOf(meta.APIVersion) != overlay.Group {
		return nil, fmt.Errorf("functionConfig: want a %s (apiVersion %s), got kind %q, apiVersion %q",
			overlay.Kind, overlay.APIVersion, meta.Kind, meta.APIVersion)
	}
	data, err := fc.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("functionConfig: %w", err)
	}
	return ParseDebugOverlay(data, "functionConfig")
}

// krmMeta reads what results name: apiVersion, kind, name, namespace.
func krmMeta(item *kyaml.RNode) kyaml.ResourceIdentifier {
	var id kyaml.ResourceIdentifier
	if item == nil {
		return id
	}
	n := item.YNode()
	id.APIVersion = yamltree.Value(yamltree.MapGet(n, "apiVersion"))
	id.Kind = yamltree.Value(yamltree.MapGet(n, "kind"))
	id.Name = yamltree.Value(yamltree.MapPath(n, "metadata", "name"))
	id.Namespace = yamltree.Value(yamltree.MapPath(n, "metadata", "namespace"))
	return id
}

// krmResult builds a result about item (nil: about the whole list), with
// the file the orchestrator read it from, when it says.
func krmResult(severity Severity, msg string, item *kyaml.RNode) *Result {
	r := &Result{Severity: severity, Message: msg}
	if item == nil {
		return r
	}
	id := krmMeta(item)
	r.ResourceRef = &id
	if path, index, _ := kioutil.GetFileAnnotations(item); path != "" {
		r.File = &File{Path: path}
		r.File.Index, _ = strconv.Atoi(index)
	}
	return r
}

// workloadResult is the info result for one overlaid workload: what it got
// and how to open a shell in it.
func workloadResult(w overlay.Overlaid, items []*kyaml.RNode) *Result {
	var b strings.Builder
	mode := "sidecar"
	if w.Native {
		mode = "native sidecar"
	}
	fmt.Fprintf(&b, "debug container %q added (%s)", w.Container, mode)
	for _, c := range w.Copies {
		fmt.Fprintf(&b, "; volume %q copied into emptyDir %q", c.Volume, c.Into)
		if perms := c.Perms(); perms != "" {
			fmt.Fprintf(&b, ", copies: %s", perms)
		}
	}
	if cmd := w.ExecCommand(); cmd != "" {
		b.WriteString("; shell: " + cmd)
	}
	var item *kyaml.RNode
	for _, it := range items {
		id := krmMeta(it)
		if id.Kind == w.Kind && id.Name == w.Name && id.Namespace == w.Namespace {
			item = it
			break
		}
	}
	return krmResult(SeverityInfo, b.String(), item)
}

// SniffResourceList reports whether a stream is a KRM ResourceList: a YAML
// document whose top-level kind, found in its first 64 KiB, is
// ResourceList. It returns a reader that yields the whole stream again.
// JSON ResourceLists are not recognised; `debug-overlay fn` reads them.
func SniffResourceList(r io.Reader) (io.Reader, bool, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, false, fmt.Errorf("reading input: %w", err)
	}
	return br, isResourceList(head), nil
}

// isResourceList reads the kind of the first document that is not only
// comments, as the header scan of a stream reads it.
func isResourceList(head []byte) bool {
	docs := stream.NewReader(bytes.NewReader(head))
	for {
		doc, err := docs.Next()
		if err != nil {
			return false
		}
		if h := stream.ScanHeader(doc); !h.Empty {
			return h.Kind == kio.ResourceListKind
		}
	}
}
