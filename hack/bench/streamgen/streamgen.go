// Package streamgen writes deterministic, Helm-like manifest streams for
// benchmarks: what `helm template` prints for a large umbrella release, with
// `---` separators, `# Source:` comments, Helm's install order by kind, and a
// realistic mix of documents. About a third are pod-bearing workloads of every
// built-in kind (1-3 containers, Secret/ConfigMap/emptyDir/PVC volumes, probes,
// resources, env); the rest are Services, ConfigMaps with multi-line data,
// Secrets, RBAC objects and a few large CustomResourceDefinitions.
//
// The same Options always give the same bytes. The package knows nothing of
// debug-overlay itself, so it can feed any tool.
package streamgen

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// CopyVolume is the name of a Secret volume that about half of the workloads
// mount (and none mounts as anything else): benchmarks pass it to
// --copy-volume.
const CopyVolume = "tls"

// WorkloadKinds lists the pod-bearing kinds the stream holds, in Helm's
// install order.
var WorkloadKinds = []string{"DaemonSet", "Pod", "ReplicaSet", "Deployment", "StatefulSet", "Job", "CronJob"}

// Options selects a stream. The zero Seed is a valid seed.
type Options struct {
	// Docs is the number of documents.
	Docs int
	// Seed varies names, sizes and shapes; the same Seed and Docs give the
	// same bytes.
	Seed uint64
	// CRDs makes every document a large CustomResourceDefinition, as a
	// CRD-only chart renders: no workload at all, about 450 KB a document
	// (CRDStreamDocs of them make 4.5 MB).
	CRDs bool
}

// Stats describes a written stream.
type Stats struct {
	Docs  int
	Bytes int64
	// Kinds counts documents per kind.
	Kinds map[string]int
	// WithCopyVolume counts the workloads that mount CopyVolume.
	WithCopyVolume int
}

// share is one kind's fraction of the stream, in Helm 3's install order
// (releaseutil.InstallOrder), which is the order `helm template` prints.
type share struct {
	kind     string
	fraction float64
	write    func(g *gen)
}

var shares = []share{
	{"ServiceAccount", 0.08, (*gen).serviceAccount},
	{"Secret", 0.12, (*gen).secret},
	{"ConfigMap", 0.16, (*gen).configMap},
	{"CustomResourceDefinition", 0.017, (*gen).crd},
	{"Role", 0.065, (*gen).role},
	{"RoleBinding", 0.065, (*gen).roleBinding},
	{"Service", 0.16, (*gen).service},
	// Workloads: one third of the stream.
	{"DaemonSet", 0.03, (*gen).workload},
	{"Pod", 0.03, (*gen).workload},
	{"ReplicaSet", 0.03, (*gen).workload},
	{"Deployment", 0.12, (*gen).workload},
	{"StatefulSet", 0.05, (*gen).workload},
	{"Job", 0.04, (*gen).workload},
	{"CronJob", 0.033, (*gen).workload},
}

// Counts returns how many documents of each kind a stream of n documents
// holds, in stream order. Every kind appears at least once when n allows.
func Counts(n int) []KindCount {
	out := make([]KindCount, len(shares))
	total := 0
	for i, s := range shares {
		c := int(s.fraction*float64(n) + 0.5)
		if c == 0 && n >= len(shares) {
			c = 1
		}
		out[i] = KindCount{Kind: s.kind, N: c}
		total += c
	}
	// Rounding: add to the most common kinds in turn, take from the largest.
	for i := 0; total < n; i++ {
		out[[]int{2, 6, 1, 10}[i%4]].N++ // ConfigMap, Service, Secret, Deployment
		total++
	}
	for total > n {
		largest := 0
		for i := range out {
			if out[i].N > out[largest].N {
				largest = i
			}
		}
		out[largest].N--
		total--
	}
	return out
}

// KindCount is the number of documents of one kind.
type KindCount struct {
	Kind string
	N    int
}

// Write writes the stream to w.
func Write(w io.Writer, o Options) (Stats, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	cw := &countWriter{w: bw}
	st := Stats{Kinds: map[string]int{}}
	write := writeRelease
	if o.CRDs {
		write = writeCRDs
	}
	if err := write(cw, o, &st); err != nil {
		return st, err
	}
	if err := bw.Flush(); err != nil {
		return st, err
	}
	st.Bytes = cw.n
	return st, nil
}

// writeRelease writes the umbrella release: o.Docs documents in the shares
// and order of the shares table.
func writeRelease(cw *countWriter, o Options, st *Stats) error {
	g := &gen{}
	index := 0
	for i, kc := range Counts(o.Docs) {
		for j := 0; j < kc.N; j++ {
			g.reset(o.Seed, index, kc.Kind)
			shares[i].write(g)
			if g.copyVolume {
				st.WithCopyVolume++
			}
			if _, err := cw.Write(g.buf.Bytes()); err != nil {
				return err
			}
			st.Kinds[kc.Kind]++
			st.Docs++
			index++
		}
	}
	return nil
}

// Generate returns the stream as bytes.
func Generate(o Options) []byte {
	var b bytes.Buffer
	if o.CRDs {
		b.Grow(o.Docs * 470 << 10)
	} else {
		b.Grow(o.Docs * 3000)
	}
	if _, err := Write(&b, o); err != nil {
		panic(err) // a bytes.Buffer does not fail
	}
	return b.Bytes()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// rng is splitmix64: tiny, fast, and the same on every Go version.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return float64(r.next()>>11)/(1<<53) < p }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// gen writes one document at a time into buf.
type gen struct {
	buf        bytes.Buffer
	r          rng
	index      int
	kind       string
	chart      string // subchart name
	component  string
	name       string // metadata.name, unique in the stream per kind
	compact    bool   // sequences at the parent key's indentation (kubectl style)
	copyVolume bool
}

const release = "rel"

var charts = []string{
	"api-gateway", "auth", "billing", "cart", "catalog", "checkout", "search", "inventory",
	"notifications", "orders", "payments", "profiles", "recommendations", "reporting",
	"shipping", "media", "analytics", "scheduler", "ledger", "pricing",
}

var components = []string{"api", "worker", "web", "consumer", "cache", "db", "migrator", "exporter", "proxy", "sync"}

func (g *gen) reset(seed uint64, index int, kind string) {
	g.buf.Reset()
	g.r = rng{s: seed*0x100000001b3 ^ uint64(index)*0x9e3779b97f4a7c15}
	g.r.next()
	g.index = index
	g.kind = kind
	g.chart = pick(&g.r, charts)
	g.component = pick(&g.r, components)
	g.name = fmt.Sprintf("%s-%s-%s-%d", release, g.chart, g.component, index)
	g.compact = g.r.chance(0.4)
	g.copyVolume = false
}

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.buf, format, args...) }

// line writes one line at an indentation level of two spaces per level.
func (g *gen) line(level int, s string) {
	for i := 0; i < level; i++ {
		g.buf.WriteString("  ")
	}
	g.buf.WriteString(s)
	g.buf.WriteByte('\n')
}

// item starts a sequence item under a key at level: "- " at level (compact)
// or level+1 (indented). It returns the level of the item's other keys.
func (g *gen) item(level int, s string) int {
	if !g.compact {
		level++
	}
	g.line(level, "- "+s)
	return level + 1
}

func (g *gen) head(template, apiVersion string) {
	g.p("---\n# Source: %s/charts/%s/templates/%s\n", release, g.chart, template)
	g.p("apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n", apiVersion, g.kind, g.name)
	if g.r.chance(0.7) {
		g.p("  namespace: %s\n", "shop")
	}
	g.labels(1, true)
}

func (g *gen) labels(level int, key bool) {
	if key {
		g.line(level, "labels:")
	}
	l := level + 1
	g.line(l, "helm.sh/chart: "+g.chart+"-1."+fmt.Sprint(g.index%17)+".0")
	g.selectorLabels(l)
	g.line(l, `app.kubernetes.io/version: "2.`+fmt.Sprint(g.index%9)+`.1"`)
	g.line(l, "app.kubernetes.io/managed-by: Helm")
}

func (g *gen) selectorLabels(level int) {
	g.line(level, "app.kubernetes.io/name: "+g.chart)
	g.line(level, "app.kubernetes.io/instance: "+release)
	g.line(level, "app.kubernetes.io/component: "+g.component+"-"+fmt.Sprint(g.index))
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.intn(16)]
	}
	return string(b)
}

func (g *gen) base64(n int) string {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.intn(64)]
	}
	return string(b)
}

var words = strings.Fields(`the a of to and is for in that be this field with when
resource value specifies name must on by as default if not will are an it from used
controller object pod reference which set number be may only can selector label
key configuration spec status condition type reason message time seconds policy
template update strategy cluster namespace container volume secret certificate
endpoint service port protocol replicas minimum maximum should defined list items`)

func (g *gen) sentence(n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = pick(&g.r, words)
	}
	s := strings.Join(ws, " ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func (g *gen) serviceAccount() {
	g.head("serviceaccount.yaml", "v1")
	if g.r.chance(0.3) {
		g.line(1, "annotations:")
		g.line(2, "eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/"+g.name)
	}
	g.line(0, "automountServiceAccountToken: "+fmt.Sprint(g.r.chance(0.5)))
}

func (g *gen) secret() {
	g.head("secret.yaml", "v1")
	if g.r.chance(0.3) {
		g.line(0, "type: kubernetes.io/tls")
		g.line(0, "data:")
		g.line(1, "tls.crt: "+g.base64(g.r.between(1200, 2400)))
		g.line(1, "tls.key: "+g.base64(g.r.between(1600, 2300)))
		return
	}
	g.line(0, "type: Opaque")
	g.line(0, "data:")
	for i, n := 0, g.r.between(1, 6); i < n; i++ {
		g.line(1, pick(&g.r, []string{"password", "username", "api-key", "token", "dsn", "client-secret"})+
			fmt.Sprint(i)+": "+g.base64(4*g.r.between(4, 40)))
	}
}

func (g *gen) configMap() {
	g.head("configmap.yaml", "v1")
	g.line(0, "data:")
	for i, n := 0, g.r.between(1, 4); i < n; i++ {
		switch g.r.intn(4) {
		case 0: // flat settings
			for j, m := 0, g.r.between(3, 12); j < m; j++ {
				g.line(1, fmt.Sprintf("%s_%d: %q", strings.ToUpper(pick(&g.r, words)), j, pick(&g.r, words)))
			}
		case 1: // an application config file, YAML inside YAML
			g.line(1, fmt.Sprintf("config-%d.yaml: |", i))
			for j, m := 0, g.r.between(10, 50); j < m; j++ {
				g.line(2+min(j, g.r.intn(2)), fmt.Sprintf("%s%d: %s", pick(&g.r, words), j, g.sentence(g.r.between(1, 4))))
			}
		case 2: // nginx.conf
			g.line(1, fmt.Sprintf("nginx-%d.conf: |", i))
			g.line(2, "server {")
			g.line(3, "listen 8080;")
			for j, m := 0, g.r.between(3, 15); j < m; j++ {
				g.line(3, fmt.Sprintf("location /%s/%d {", pick(&g.r, words), j))
				g.line(4, "proxy_pass http://"+g.name+":8080;")
				g.line(4, "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
				g.line(3, "}")
			}
			g.line(2, "}")
		default: // properties, with a literal block
			g.line(1, fmt.Sprintf("application-%d.properties: |-", i))
			for j, m := 0, g.r.between(5, 40); j < m; j++ {
				g.line(2, fmt.Sprintf("%s.%s.%d=%s", pick(&g.r, words), pick(&g.r, words), j, pick(&g.r, words)))
			}
		}
	}
}

func (g *gen) role() {
	g.head("role.yaml", "rbac.authorization.k8s.io/v1")
	g.line(0, "rules:")
	for i, n := 0, g.r.between(1, 5); i < n; i++ {
		l := g.item(0, "apiGroups:")
		g.item(l, pick(&g.r, []string{`""`, "apps", "batch", "coordination.k8s.io"}))
		g.line(l, "resources:")
		for j, m := 0, g.r.between(1, 4); j < m; j++ {
			g.item(l, pick(&g.r, []string{"pods", "configmaps", "secrets", "leases", "events", "deployments", "jobs"}))
		}
		g.line(l, "verbs:")
		for _, v := range []string{"get", "list", "watch", "create", "update", "patch"}[:g.r.between(1, 6)] {
			g.item(l, v)
		}
	}
}

func (g *gen) roleBinding() {
	g.head("rolebinding.yaml", "rbac.authorization.k8s.io/v1")
	g.line(0, "roleRef:")
	g.line(1, "apiGroup: rbac.authorization.k8s.io")
	g.line(1, "kind: Role")
	g.line(1, "name: "+g.name)
	g.line(0, "subjects:")
	l := g.item(0, "kind: ServiceAccount")
	g.line(l, "name: "+g.name)
	g.line(l, "namespace: shop")
}

func (g *gen) service() {
	g.head("service.yaml", "v1")
	g.line(0, "spec:")
	g.line(1, "type: "+pick(&g.r, []string{"ClusterIP", "ClusterIP", "ClusterIP", "NodePort"}))
	if g.r.chance(0.2) {
		g.line(1, "clusterIP: None")
	}
	g.line(1, "ports:")
	for i, n := 0, g.r.between(1, 3); i < n; i++ {
		l := g.item(1, "port: "+fmt.Sprint(8080+i))
		g.line(l, "targetPort: "+pick(&g.r, []string{"http", "grpc", "metrics"}))
		g.line(l, "protocol: TCP")
		g.line(l, "name: "+pick(&g.r, []string{"http", "grpc", "metrics"})+fmt.Sprint(i))
	}
	g.line(1, "selector:")
	g.selectorLabels(2)
}

// crd writes a CustomResourceDefinition of tens of KB, most of it an
// openAPIV3Schema with long descriptions, as controller-gen makes them.
func (g *gen) crd() {
	plural := g.chart + fmt.Sprint(g.index) + "s"
	group := g.chart + ".example.com"
	g.p("---\n# Source: %s/charts/%s/templates/crd-%s.yaml\n", release, g.chart, plural)
	g.p("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n")
	g.line(1, "annotations:")
	g.line(2, "controller-gen.kubebuilder.io/version: v0.16.1")
	g.line(1, "name: "+plural+"."+group)
	g.line(0, "spec:")
	g.line(1, "group: "+group)
	g.line(1, "names:")
	g.line(2, "kind: Thing"+fmt.Sprint(g.index))
	g.line(2, "listKind: Thing"+fmt.Sprint(g.index)+"List")
	g.line(2, "plural: "+plural)
	g.line(2, "singular: "+strings.TrimSuffix(plural, "s"))
	g.line(1, "scope: Namespaced")
	g.line(1, "versions:")
	l := g.item(1, "name: v1")
	g.line(l, "schema:")
	g.line(l+1, "openAPIV3Schema:")
	budget := g.r.between(9000, 31000)
	start := g.buf.Len()
	g.line(l+2, "type: object")
	g.line(l+2, "properties:")
	for i := 0; g.buf.Len()-start < budget; i++ {
		g.schema(l+3, fmt.Sprintf("%s%d", pick(&g.r, words), i), 0)
	}
	g.line(l, "served: true")
	g.line(l, "storage: true")
	g.line(l, "subresources:")
	g.line(l+1, "status: {}")
}

func (g *gen) schema(level int, name string, depth int) {
	g.line(level, name+":")
	l := level + 1
	g.line(l, "description: |-")
	for i, n := 0, g.r.between(1, 4); i < n; i++ {
		g.line(l+1, g.sentence(g.r.between(6, 14)))
	}
	switch t := g.r.intn(6); {
	case depth < 3 && t < 2:
		g.line(l, "type: object")
		g.line(l, "properties:")
		for i, n := 0, g.r.between(2, 6); i < n; i++ {
			g.schema(l+1, fmt.Sprintf("%s%d", pick(&g.r, words), i), depth+1)
		}
	case t == 2:
		g.line(l, "type: array")
		g.line(l, "items:")
		g.line(l+1, "type: string")
	case t == 3:
		g.line(l, "type: integer")
		g.line(l, "format: int32")
		g.line(l, "minimum: 0")
	case t == 4:
		g.line(l, "enum:")
		for _, v := range []string{"Always", "Never", "IfNotPresent"} {
			g.item(l, v)
		}
		g.line(l, "type: string")
	default:
		g.line(l, "type: string")
	}
}
