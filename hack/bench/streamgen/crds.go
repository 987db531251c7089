package streamgen

import (
	"fmt"
	"strings"
)

// crdSizes are the sizes, in KB, of the schemas of a CRD-only stream, taken
// in turn: a few very large definitions (the kind that embed a pod spec)
// and smaller ones, about 450 KB on average, so that ten of them make the
// 4.5 MB of a CRD-only chart.
var crdSizes = []int{1000, 720, 610, 540, 470, 420, 330, 210, 120, 60}

// CRDStreamDocs is the number of documents of the CRD-only benchmark
// stream: about 4.5 MB.
const CRDStreamDocs = 10

// writeCRDs writes the CRD-only stream: o.Docs CustomResourceDefinitions and
// nothing else, shaped as controller-gen writes them and as a CRD-only
// chart renders them (one template per definition).
func writeCRDs(cw *countWriter, o Options, st *Stats) error {
	g := &gen{}
	for i := 0; i < o.Docs; i++ {
		g.reset(o.Seed, i, "CustomResourceDefinition")
		g.bigCRD(crdSizes[i%len(crdSizes)] * 1000)
		if _, err := cw.Write(g.buf.Bytes()); err != nil {
			return err
		}
		st.Kinds[g.kind]++
		st.Docs++
	}
	return nil
}

// bigCRD writes a CustomResourceDefinition of about size bytes: printer
// columns, two versions and a deep openAPIV3Schema with the descriptions,
// validations and x-kubernetes extensions controller-gen writes.
func (g *gen) bigCRD(size int) {
	kind := strings.ToUpper(g.chart[:1]) + g.chart[1:] + fmt.Sprint(g.index)
	kind = strings.ReplaceAll(kind, "-", "")
	plural := strings.ToLower(kind) + "s"
	group := "monitoring." + g.chart + ".example.com"
	start := g.buf.Len()
	g.p("---\n# Source: %s-crds/templates/crd-%s.yaml\n", release, plural)
	g.p("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n")
	g.line(1, "annotations:")
	g.line(2, "controller-gen.kubebuilder.io/version: v0.18.0")
	g.line(2, "operator.example.com/version: 0.84.0")
	g.line(1, "labels:")
	g.line(2, "app.kubernetes.io/managed-by: Helm")
	g.line(1, "name: "+plural+"."+group)
	g.line(0, "spec:")
	g.line(1, "group: "+group)
	g.line(1, "names:")
	g.line(2, "categories:")
	g.item(2, "example-operator")
	g.line(2, "kind: "+kind)
	g.line(2, "listKind: "+kind+"List")
	g.line(2, "plural: "+plural)
	g.line(2, "shortNames:")
	g.item(2, plural[:3])
	g.line(2, "singular: "+strings.ToLower(kind))
	g.line(1, "scope: Namespaced")
	g.line(1, "versions:")
	for v, version := range []string{"v1beta1", "v1"} {
		l := g.item(1, "additionalPrinterColumns:")
		for _, col := range []string{"Version", "Replicas", "Ready", "Reconciled", "Age"} {
			c := g.item(l, "description: The "+strings.ToLower(col)+" of the "+kind)
			g.line(c, "jsonPath: .status."+strings.ToLower(col))
			g.line(c, "name: "+col)
			g.line(c, "type: "+pick(&g.r, []string{"string", "integer", "date"}))
		}
		g.line(l, "name: "+version)
		g.line(l, "schema:")
		g.line(l+1, "openAPIV3Schema:")
		s := l + 2
		g.description(s)
		g.line(s, "properties:")
		// The newer version carries most of the schema, as when an old one
		// is kept for conversion.
		budget := start + size/10
		if v == 1 {
			budget = start + size
		}
		for i := 0; g.buf.Len() < budget; i++ {
			g.property(s+1, fmt.Sprintf("%s%d", pick(&g.r, fieldWords), i), 0, budget)
		}
		g.line(s, "required:")
		g.item(s, "spec")
		g.line(s, "type: object")
		g.line(l, "served: true")
		g.line(l, fmt.Sprintf("storage: %t", v == 1))
		g.line(l, "subresources:")
		g.line(l+1, "scale:")
		g.line(l+2, "labelSelectorPath: .status.selector")
		g.line(l+2, "specReplicasPath: .spec.replicas")
		g.line(l+2, "statusReplicasPath: .status.replicas")
		g.line(l+1, "status: {}")
	}
}

var fieldWords = strings.Fields(`affinity annotations args command containers endpoints env
image labels matchExpressions matchLabels nodeSelector podMetadata ports probes queryLog
remoteWrite resources retention routePrefix ruleSelector secrets securityContext selector
storage template tolerations topologySpreadConstraints volumeMounts volumes web`)

// description writes a `description: |-` block of one to four lines, or a
// short one-line description.
func (g *gen) description(level int) {
	if g.r.chance(0.3) {
		g.line(level, "description: "+g.sentence(g.r.between(3, 8)))
		return
	}
	g.line(level, "description: |-")
	for i, n := 0, g.r.between(1, 4); i < n; i++ {
		g.line(level+1, g.sentence(g.r.between(6, 14)))
	}
}

// property writes one schema property at level, nesting objects and arrays
// of objects up to ten levels deep (controller-gen inlines every type, so a
// pod spec in a CRD goes that deep), until the buffer reaches budget.
func (g *gen) property(level int, name string, depth, budget int) {
	g.line(level, name+":")
	l := level + 1
	g.description(l)
	switch t := g.r.intn(10); {
	case depth < 10 && t < 3 && g.buf.Len() < budget:
		g.line(l, "properties:")
		for i, n := 0, g.r.between(2, 7); i < n && g.buf.Len() < budget; i++ {
			g.property(l+1, fmt.Sprintf("%s%d", pick(&g.r, fieldWords), i), depth+1, budget)
		}
		if g.r.chance(0.3) {
			g.line(l, "required:")
			g.item(l, "name")
		}
		g.line(l, "type: object")
		if g.r.chance(0.2) {
			g.line(l, "x-kubernetes-map-type: atomic")
		}
	case depth < 10 && t == 3 && g.buf.Len() < budget:
		g.line(l, "items:")
		g.description(l + 1)
		g.line(l+1, "properties:")
		for i, n := 0, g.r.between(2, 5); i < n && g.buf.Len() < budget; i++ {
			g.property(l+2, fmt.Sprintf("%s%d", pick(&g.r, fieldWords), i), depth+1, budget)
		}
		g.line(l+1, "type: object")
		g.line(l, "type: array")
		g.line(l, "x-kubernetes-list-type: atomic")
	case t == 4:
		g.line(l, "anyOf:")
		g.item(l, "type: integer")
		g.item(l, "type: string")
		g.line(l, `pattern: ^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`)
		g.line(l, "x-kubernetes-int-or-string: true")
	case t == 5:
		g.line(l, "additionalProperties:")
		g.line(l+1, "type: string")
		g.line(l, "type: object")
	case t == 6:
		g.line(l, "enum:")
		for _, v := range []string{"Always", "Never", "IfNotPresent"} {
			g.item(l, v)
		}
		g.line(l, "type: string")
	case t == 7:
		g.line(l, "format: int32")
		g.line(l, "minimum: 0")
		g.line(l, "type: integer")
	case t == 8:
		g.line(l, "type: boolean")
	default:
		g.line(l, "type: string")
	}
}
