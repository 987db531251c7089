package live

import (
	"context"
	"fmt"
	"regexp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// Profile auto in attach (issue 25): the level is the namespace's
// pod-security.kubernetes.io/enforce label, read from the cluster. Where
// there is none (the cluster's default level is not visible) or it cannot
// be read, spec.podSecurity says it, else attach asks the API server:
// server-side dry runs of the patch, the most capable rung first.

// NamespaceSecurity reads the Pod Security level a namespace enforces,
// from its labels; the zero PodSecurity when it has no enforce label.
func (c *Cluster) NamespaceSecurity(ctx context.Context, namespace string) (overlay.PodSecurity, error) {
	ns, err := c.Client.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	if err != nil {
		err = apiError(err, "get", "namespaces", "")
		if pe, ok := err.(*PermissionError); ok {
			pe.Why = fmt.Sprintf("to read the %s label of namespace %s", overlay.EnforceLabel, namespace)
		}
		return overlay.PodSecurity{}, err
	}
	return overlay.NamespacePodSecurity(namespace, ns.Labels), nil
}

// levels reads, for profile auto, the level of each namespace the
// workloads are in, and says for each what attach does.
func (a *Attacher) levels(ctx context.Context, workloads []Workload) map[string]overlay.PodSecurity {
	levels := map[string]overlay.PodSecurity{}
	seen := map[string]bool{}
	for _, w := range workloads {
		ns := w.Namespace
		if seen[ns] {
			continue
		}
		seen[ns] = true
		sec, err := a.Cluster.NamespaceSecurity(ctx, ns)
		for _, n := range sec.Notes {
			a.printf("namespace %s: note: %s\n", ns, n)
		}
		var how string
		switch {
		case sec.Known():
			levels[ns] = sec
			how = a.autoSays(sec)
		case err != nil:
			how = fmt.Sprintf("its Pod Security level is not known: %v; %s", err, a.fallback())
		default:
			how = fmt.Sprintf("no %s label, so its Pod Security level is not known here (the cluster's default is not visible); %s", overlay.EnforceLabel, a.fallback())
		}
		a.printf("namespace %s: %s\n", ns, how)
	}
	return levels
}

// autoSays says what profile auto chooses for a known level, and what it
// costs.
func (a *Attacher) autoSays(sec overlay.PodSecurity) string {
	ch := overlay.AutoChoice(sec)
	s := fmt.Sprintf("Pod Security %s (%s): profile auto chooses %s", sec, sec.From, ch.Profile)
	if cost := ch.Cost(); cost != "" {
		s += "; the cost: " + cost
	}
	return s
}

// fallback says what attach does where the namespace's level is not known.
func (a *Attacher) fallback() string {
	if l := a.Config.PodSecurity; l != "" {
		return "falling back to spec.podSecurity (--pod-security): " + a.autoSays(overlay.PodSecurity{Level: l, Version: "latest", From: "spec.podSecurity"})
	}
	if a.DryRun == DryRunClient {
		return fmt.Sprintf("falling back to %s, the most capable rung, unchecked: a client dry run does not ask the API server (--dry-run=server does)", overlay.ProfileGeneral)
	}
	return fmt.Sprintf("falling back to server-side dry runs of the patch, the most capable profile first (%s), for each pod", joinProfiles(ladderDown()))
}

// ladderDown is auto's ladder, the most capable first.
func ladderDown() []overlay.ProfileName {
	l := overlay.AutoLadder()
	for i, j := 0, len(l)-1; i < j; i, j = i+1, j-1 {
		l[i], l[j] = l[j], l[i]
	}
	return l
}

func joinProfiles(names []overlay.ProfileName) string { return overlay.JoinNames(names) }

// violatesPattern finds the level in Pod Security's refusal.
var violatesPattern = regexp.MustCompile(`violates PodSecurity "([a-z]+:[a-z0-9.]+)"`)

// PodViolatesError is a Pod Security refusal of even the least capable
// debug container: the pod itself violates the level (it was admitted
// before its namespace enforced it, or was exempt), and Pod Security
// checks the whole pod when an ephemeral container is added.
type PodViolatesError struct {
	Level string // as Pod Security names it: "restricted:latest"
	Msg   string // the API server's
}

func (e *PodViolatesError) Error() string {
	level := e.Level
	if level == "" {
		level = "its namespace's level"
	}
	return fmt.Sprintf("the pod itself violates Pod Security %q (it was admitted before its namespace enforced that, or was exempt): "+
		"Pod Security checks the whole pod when an ephemeral container is added, so no debug container, whatever its profile, can be added to it "+
		"(the %s profile's meets %s); replace the pod, or debug a copy (debug-overlay --mode twin); the API server said: %s",
		level, overlay.ProfileRestricted, level, e.Msg)
}

// podViolates makes the PodViolatesError of a refusal.
func podViolates(refusal error) error {
	msg := apiMessage(refusal)
	level := ""
	if m := violatesPattern.FindStringSubmatch(msg); m != nil {
		level = m[1]
	}
	return &PodViolatesError{Level: level, Msg: msg}
}
