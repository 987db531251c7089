package streamgen

import "fmt"

// workload writes a pod-bearing document of g.kind, shaped like the
// workloads of common charts.
func (g *gen) workload() {
	switch g.kind {
	case "Pod":
		g.head("pod.yaml", "v1")
		g.line(0, "spec:")
		g.podSpec(1, pick(&g.r, []string{"Always", "Always", "Never", "OnFailure"}))
		return
	case "Job", "CronJob":
		g.head(lower(g.kind)+".yaml", "batch/v1")
	default:
		g.head(lower(g.kind)+".yaml", "apps/v1")
	}
	g.line(0, "spec:")
	switch g.kind {
	case "Deployment", "ReplicaSet":
		g.line(1, "replicas: "+fmt.Sprint(g.r.between(1, 5)))
		if g.kind == "Deployment" {
			g.line(1, "revisionHistoryLimit: 10")
			g.line(1, "strategy:")
			g.line(2, "type: RollingUpdate")
			g.line(2, "rollingUpdate:")
			g.line(3, "maxSurge: 25%")
			g.line(3, "maxUnavailable: 0")
		}
		g.selector(1)
		g.template(1, "")
	case "StatefulSet":
		g.line(1, "serviceName: "+g.name+"-headless")
		g.line(1, "replicas: "+fmt.Sprint(g.r.between(1, 3)))
		g.line(1, "podManagementPolicy: Parallel")
		g.selector(1)
		g.template(1, "")
		g.line(1, "volumeClaimTemplates:")
		l := g.item(1, "metadata:")
		g.line(l+1, "name: data")
		g.line(l, "spec:")
		g.line(l+1, "accessModes:")
		g.item(l+1, "ReadWriteOnce")
		g.line(l+1, "resources:")
		g.line(l+2, "requests:")
		g.line(l+3, "storage: "+fmt.Sprint(g.r.between(1, 100))+"Gi")
	case "DaemonSet":
		g.selector(1)
		g.line(1, "updateStrategy:")
		g.line(2, "type: RollingUpdate")
		g.template(1, "")
	case "Job":
		g.line(1, "backoffLimit: "+fmt.Sprint(g.r.between(0, 6)))
		g.line(1, "ttlSecondsAfterFinished: 3600")
		g.template(1, pick(&g.r, []string{"Never", "OnFailure"}))
	case "CronJob":
		g.line(1, fmt.Sprintf("schedule: \"%d */%d * * *\"", g.r.intn(60), g.r.between(1, 12)))
		g.line(1, "concurrencyPolicy: Forbid")
		g.line(1, "successfulJobsHistoryLimit: 3")
		g.line(1, "failedJobsHistoryLimit: 1")
		g.line(1, "jobTemplate:")
		g.line(2, "spec:")
		g.line(3, "backoffLimit: 2")
		g.template(3, pick(&g.r, []string{"Never", "OnFailure"}))
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func (g *gen) selector(level int) {
	g.line(level, "selector:")
	g.line(level+1, "matchLabels:")
	g.selectorLabels(level + 2)
}

// template writes `template:` with pod metadata and spec at level.
func (g *gen) template(level int, restartPolicy string) {
	g.line(level, "template:")
	l := level + 1
	g.line(l, "metadata:")
	g.line(l+1, "annotations:")
	g.line(l+2, "checksum/config: "+g.hex(64))
	if g.r.chance(0.5) {
		g.line(l+2, "checksum/secret: "+g.hex(64))
	}
	if g.r.chance(0.3) {
		g.line(l+2, `prometheus.io/scrape: "true"`)
		g.line(l+2, `prometheus.io/port: "9090"`)
	}
	g.labels(l+1, true)
	g.line(l, "spec:")
	g.podSpec(l+1, restartPolicy)
}

// volume is a pod volume and where containers mount it.
type volume struct {
	name, path string
	readOnly   bool
}

// podSpec writes a pod spec's fields at level.
func (g *gen) podSpec(level int, restartPolicy string) {
	l := level
	g.line(l, "serviceAccountName: "+g.name)
	if restartPolicy != "" {
		g.line(l, "restartPolicy: "+restartPolicy)
	}
	g.line(l, "securityContext:")
	g.line(l+1, "fsGroup: 1000")
	if g.r.chance(0.5) {
		g.line(l+1, "runAsNonRoot: true")
		g.line(l+1, "runAsUser: 1000")
	}
	g.line(l+1, "seccompProfile:")
	g.line(l+2, "type: RuntimeDefault")

	vols := []volume{{name: "config", path: "/etc/" + g.chart}}
	if g.r.chance(0.5) {
		vols = append(vols, volume{name: CopyVolume, path: "/etc/tls", readOnly: true})
		g.copyVolume = true
	}
	vols = append(vols, volume{name: "tmp", path: "/tmp"})
	if g.kind == "StatefulSet" || g.r.chance(0.25) && g.kind != "DaemonSet" {
		vols = append(vols, volume{name: "data", path: "/var/lib/" + g.chart})
	}
	if g.r.chance(0.15) {
		vols = append(vols, volume{name: "token", path: "/var/run/secrets/tokens", readOnly: true})
	}

	if g.r.chance(0.2) {
		g.line(l, "initContainers:")
		c := g.item(l, "name: wait-for-db")
		g.line(c, "image: busybox:1.36")
		g.line(c, "command:")
		g.item(c, "sh")
		g.item(c, "-c")
		g.item(c, `until nc -z `+g.name+`-db 5432; do echo waiting; sleep 2; done`)
		g.resources(c, "10m", "16Mi", "100m", "32Mi")
	}
	g.line(l, "containers:")
	for i, n := 0, g.r.between(1, 3); i < n; i++ {
		g.container(l, i, vols)
	}
	g.line(l, "volumes:")
	for _, v := range vols {
		if v.name == "data" && g.kind == "StatefulSet" {
			continue // from volumeClaimTemplates
		}
		c := g.item(l, "name: "+v.name)
		switch v.name {
		case "config":
			g.line(c, "configMap:")
			g.line(c+1, "name: "+g.name+"-config")
		case CopyVolume:
			g.line(c, "secret:")
			g.line(c+1, "secretName: "+g.name+"-tls")
			g.line(c+1, "defaultMode: 0400")
		case "tmp":
			g.line(c, "emptyDir:")
			g.line(c+1, "sizeLimit: 64Mi")
		case "data":
			g.line(c, "persistentVolumeClaim:")
			g.line(c+1, "claimName: "+g.name+"-data")
		case "token":
			g.line(c, "projected:")
			g.line(c+1, "sources:")
			s := g.item(c+1, "serviceAccountToken:")
			g.line(s+1, "audience: vault")
			g.line(s+1, "expirationSeconds: 3600")
			g.line(s+1, "path: vault-token")
		}
	}
	if g.r.chance(0.3) {
		g.line(l, "nodeSelector:")
		g.line(l+1, "kubernetes.io/os: linux")
	}
	if g.r.chance(0.2) {
		g.line(l, "tolerations:")
		c := g.item(l, "key: dedicated")
		g.line(c, "operator: Equal")
		g.line(c, "value: "+g.chart)
		g.line(c, "effect: NoSchedule")
	}
	if g.r.chance(0.3) {
		g.line(l, "affinity:")
		g.line(l+1, "podAntiAffinity:")
		g.line(l+2, "preferredDuringSchedulingIgnoredDuringExecution:")
		c := g.item(l+2, "weight: 100")
		g.line(c, "podAffinityTerm:")
		g.line(c+1, "topologyKey: kubernetes.io/hostname")
		g.line(c+1, "labelSelector:")
		g.line(c+2, "matchLabels:")
		g.selectorLabels(c + 3)
	}
}

var sidecarNames = []string{"app", "metrics-exporter", "log-shipper"}

// container writes the i-th container; the first is the application and
// mounts every volume, the others a few, each at the volume's own path.
func (g *gen) container(level, i int, vols []volume) {
	c := g.item(level, "name: "+sidecarNames[i])
	g.line(c, fmt.Sprintf(`image: "registry.example.com/%s/%s:2.%d.1"`, g.chart, sidecarNames[i], g.index%9))
	g.line(c, "imagePullPolicy: IfNotPresent")
	if g.r.chance(0.5) {
		g.line(c, "args:")
		g.item(c, "--config=/etc/"+g.chart+"/config-0.yaml")
		g.item(c, "--log-level=info")
		g.item(c, fmt.Sprintf("--port=%d", 8080+i))
	}
	g.line(c, "ports:")
	p := g.item(c, "name: "+pick(&g.r, []string{"http", "grpc", "metrics"}))
	g.line(p, fmt.Sprintf("containerPort: %d", 8080+i))
	g.line(p, "protocol: TCP")
	g.line(c, "env:")
	for j, n := 0, g.r.between(2, 8); j < n; j++ {
		e := g.item(c, fmt.Sprintf("name: %s_%d", upper(pick(&g.r, words)), j))
		switch g.r.intn(4) {
		case 0:
			g.line(e, "valueFrom:")
			g.line(e+1, "secretKeyRef:")
			g.line(e+2, "name: "+g.name+"-secret")
			g.line(e+2, "key: password")
		case 1:
			g.line(e, "valueFrom:")
			g.line(e+1, "fieldRef:")
			g.line(e+2, "fieldPath: metadata.name")
		default:
			g.line(e, fmt.Sprintf("value: %q", pick(&g.r, words)))
		}
	}
	if g.r.chance(0.4) {
		g.line(c, "envFrom:")
		e := g.item(c, "configMapRef:")
		g.line(e+1, "name: "+g.name+"-env")
	}
	if i == 0 {
		g.probe(c, "livenessProbe")
		g.probe(c, "readinessProbe")
		if g.r.chance(0.3) {
			g.probe(c, "startupProbe")
		}
	}
	g.resources(c, "100m", "128Mi", "1", "512Mi")
	g.line(c, "securityContext:")
	g.line(c+1, "allowPrivilegeEscalation: false")
	g.line(c+1, "readOnlyRootFilesystem: true")
	g.line(c+1, "capabilities:")
	g.line(c+2, "drop:")
	g.item(c+2, "ALL")
	g.line(c, "volumeMounts:")
	for j, v := range vols {
		if i > 0 && j%2 == 1 {
			continue
		}
		m := g.item(c, "name: "+v.name)
		g.line(m, "mountPath: "+v.path)
		if v.readOnly {
			g.line(m, "readOnly: true")
		}
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func (g *gen) probe(level int, name string) {
	g.line(level, name+":")
	l := level + 1
	switch g.r.intn(3) {
	case 0:
		g.line(l, "httpGet:")
		g.line(l+1, "path: /healthz")
		g.line(l+1, "port: http")
	case 1:
		g.line(l, "tcpSocket:")
		g.line(l+1, "port: 8080")
	default:
		g.line(l, "exec:")
		g.line(l+1, "command:")
		g.item(l+1, "/bin/health")
		g.item(l+1, "--quiet")
	}
	g.line(l, "initialDelaySeconds: "+fmt.Sprint(g.r.between(0, 30)))
	g.line(l, "periodSeconds: 10")
	g.line(l, "timeoutSeconds: 2")
	g.line(l, "failureThreshold: 3")
}

func (g *gen) resources(level int, cpu, mem, cpuLimit, memLimit string) {
	g.line(level, "resources:")
	g.line(level+1, "limits:")
	g.line(level+2, "cpu: "+cpuLimit)
	g.line(level+2, "memory: "+memLimit)
	g.line(level+1, "requests:")
	g.line(level+2, "cpu: "+cpu)
	g.line(level+2, "memory: "+mem)
}
