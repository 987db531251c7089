package live

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// DryRun says whether patches are sent, as kubectl's --dry-run does.
type DryRun string

// The dry-run modes: none sends the patches; client only builds them;
// server has the API server validate and admit them without storing.
const (
	DryRunNone   DryRun = "none"
	DryRunClient DryRun = "client"
	DryRunServer DryRun = "server"
)

// DryRuns lists the valid DryRun values.
var DryRuns = []DryRun{DryRunNone, DryRunClient, DryRunServer}

// Outcome is what happened to one pod.
type Outcome string

// The outcomes. Attached and Reused pods have a running debug container;
// Planned ones would get one (dry run).
const (
	Attached Outcome = "attached"
	Reused   Outcome = "reused"
	Planned  Outcome = "planned"
	Skipped  Outcome = "skipped"  // not Running
	Refused  Outcome = "refused"  // a missing permission, or Pod Security
	TimedOut Outcome = "timedout" // not running within the timeout
	Failed   Outcome = "failed"
)

// Result is what attach did to one pod.
type Result struct {
	Workload  Workload
	Namespace string
	Pod       string
	// Container and Shell are the debug container's, when there is one.
	Container string
	Shell     string
	Outcome   Outcome
	// Err says why a pod was skipped, refused, timed out or failed.
	Err error
	// Patch is the strategic merge patch of the pod's ephemeralcontainers
	// subresource (JSON), when one was made.
	Patch []byte
	// Took is the time from the patch to a running container.
	Took time.Duration
}

// Ready reports whether the pod has (or, in a dry run, would have) a
// running debug container.
func (r Result) Ready() bool {
	return r.Outcome == Attached || r.Outcome == Reused || r.Outcome == Planned
}

// ExecCommand is the kubectl line that opens the shell.
func (r Result) ExecCommand() string {
	return fmt.Sprintf("kubectl exec -it -n %s %s -c %s -- %s", r.Namespace, r.Pod, r.Container, r.Shell)
}

// Attacher adds the debug container to the running pods of workloads.
type Attacher struct {
	Cluster *Cluster
	// Config is the validated configuration; attaching is an explicit
	// request, so its enabled field is not looked at.
	Config overlay.Config
	DryRun DryRun
	// Timeout bounds the wait for the containers to run.
	Timeout time.Duration
	// Progress receives a line per pod and state, and the notes.
	Progress io.Writer
	// Release and ValuesKey name the Helm release the workloads come
	// from, and its toggle chart's values, when they do: the hint for a
	// container that does not run says how to hold it in a twin then.
	Release, ValuesKey string

	mu    sync.Mutex
	noted map[string]bool
}

// Attach gives every running pod of the workloads the debug container, in
// parallel waits, and returns a result per pod. Its error is for what
// stops everything: a workload that cannot be read.
func (a *Attacher) Attach(ctx context.Context, workloads []Workload) ([]Result, error) {
	o, err := overlay.New(a.Config)
	if err != nil {
		return nil, err
	}
	a.noted = map[string]bool{}
	var results []Result
	type waiting struct {
		i     int
		rv    string
		added bool
	}
	var waits []waiting
	for _, w := range workloads {
		pods, err := a.Cluster.Pods(ctx, w)
		if err != nil {
			return results, err
		}
		if len(pods) == 0 {
			a.printf("%s in namespace %s: no pods\n", w, w.Namespace)
		}
		for _, pod := range pods {
			r, rv, wait := a.prepare(ctx, o, w, &pod)
			results = append(results, r)
			if wait {
				waits = append(waits, waiting{i: len(results) - 1, rv: rv, added: r.Patch != nil})
			}
		}
	}
	var wg sync.WaitGroup
	for _, wt := range waits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[wt.i]
			start := time.Now()
			ctx, cancel := context.WithTimeout(ctx, a.Timeout)
			defer cancel()
			r.Outcome, r.Err = a.wait(ctx, r.Namespace, r.Pod, r.Container, wt.rv)
			r.Took = time.Since(start)
			switch {
			case r.Outcome == Attached && !wt.added:
				r.Outcome = Reused
				a.printf("pod %s/%s: %s is running\n", r.Namespace, r.Pod, r.Container)
			case r.Outcome == Attached:
				a.printf("pod %s/%s: %s is running (%.1fs)\n", r.Namespace, r.Pod, r.Container, r.Took.Seconds())
			default:
				a.printf("pod %s/%s: %v\n", r.Namespace, r.Pod, r.Err)
			}
		}()
	}
	wg.Wait()
	return results, nil
}

// prepare decides for one pod and sends its patch; wait true means the
// container is to be waited for, from resource version rv.
func (a *Attacher) prepare(ctx context.Context, o *overlay.Overlay, w Workload, pod *corev1.Pod) (r Result, rv string, wait bool) {
	r = Result{Workload: w, Namespace: pod.Namespace, Pod: pod.Name}
	if pod.DeletionTimestamp != nil || pod.Status.Phase != corev1.PodRunning {
		state := string(pod.Status.Phase)
		if pod.DeletionTimestamp != nil {
			state = "being deleted"
		}
		r.Outcome, r.Err = Skipped, fmt.Errorf("the pod is %s, not Running: skipped", state)
		a.printf("pod %s/%s: %v\n", pod.Namespace, pod.Name, r.Err)
		return r, "", false
	}
	live, err := o.Ephemeral(pod, w.Selection)
	if err != nil {
		r.Outcome, r.Err = Failed, err
		a.printf("pod %s/%s: %v\n", pod.Namespace, pod.Name, err)
		return r, "", false
	}
	for _, n := range live.Notes {
		a.note(w, n)
	}
	if live.Down != nil {
		a.noteDown(ctx, w, pod, live)
	}
	r.Shell = live.Shell
	// An earlier attach with this configuration: use its container when it
	// runs or is starting.
	for _, name := range slices.Backward(live.Same) {
		st := ephemeralStatus(pod, name)
		if st != nil && st.State.Terminated != nil {
			continue
		}
		r.Container = name
		if st != nil && st.State.Running != nil {
			r.Outcome = Reused
			a.printf("pod %s/%s: %s, from an earlier attach, is running: reused\n", pod.Namespace, pod.Name, name)
			return r, "", false
		}
		if a.DryRun != DryRunNone {
			r.Outcome = Planned
			return r, "", false
		}
		a.printf("pod %s/%s: %s, from an earlier attach, is starting: waiting for it\n", pod.Namespace, pod.Name, name)
		return r, pod.ResourceVersion, true
	}

	r.Container = live.Container.Name
	r.Patch, err = ephemeralPatch(live.Container)
	if err != nil {
		r.Outcome, r.Err = Failed, err
		return r, "", false
	}
	if a.DryRun == DryRunClient {
		r.Outcome = Planned
		return r, "", false
	}
	patched, err := a.patch(ctx, pod, r.Patch, a.DryRun == DryRunServer)
	if err != nil {
		r.Outcome, r.Err = Failed, err
		if isPodSecurity(err) {
			r.Outcome, r.Err = Refused, a.podSecurityError(ctx, pod, w, err)
		} else if pe := (*PermissionError)(nil); errors.As(err, &pe) {
			r.Outcome = Refused
		}
		a.printf("pod %s/%s: %v\n", pod.Namespace, pod.Name, r.Err)
		return r, "", false
	}
	if a.DryRun == DryRunServer {
		r.Outcome = Planned
		a.printf("pod %s/%s: the API server accepts %s (dry run: nothing changed)\n", pod.Namespace, pod.Name, r.Container)
		return r, "", false
	}
	a.printf("pod %s/%s: added ephemeral container %s (%s), targeting %s\n", pod.Namespace, pod.Name, r.Container, live.Container.Image, cmp.Or(live.Container.TargetContainerName, "no container"))
	return r, patched.ResourceVersion, true
}

// patch sends a patch of the pod's ephemeralcontainers subresource.
func (a *Attacher) patch(ctx context.Context, pod *corev1.Pod, patch []byte, dryRun bool) (*corev1.Pod, error) {
	opts := metav1.PatchOptions{}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	p, err := a.Cluster.Client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, opts, "ephemeralcontainers")
	if err != nil {
		if apierrors.IsNotFound(err) && strings.Contains(apiMessage(err), "ephemeralcontainers") {
			return nil, fmt.Errorf("the API server has no pods/ephemeralcontainers subresource (Kubernetes before 1.23?): %w", err)
		}
		return nil, apiError(err, "patch", "pods/ephemeralcontainers", pod.Namespace)
	}
	return p, nil
}

// ephemeralPatch is the strategic merge patch that adds c: ephemeral
// containers merge by name, so the list holds only the new one.
func ephemeralPatch(c corev1.EphemeralContainer) ([]byte, error) {
	return json.Marshal(map[string]any{"spec": map[string]any{"ephemeralContainers": []corev1.EphemeralContainer{c}}})
}

// podSecurityError explains a Pod Security refusal and names the first
// profile the API server would admit, by dry runs of the others.
func (a *Attacher) podSecurityError(ctx context.Context, pod *corev1.Pod, w Workload, refusal error) error {
	msg := fmt.Sprintf("Pod Security refused the %s profile: %s", a.Config.Sidecar.Profile, apiMessage(refusal))
	for _, p := range overlay.ProfilesByRank() {
		if p == a.Config.Sidecar.Profile || p == overlay.ProfileSysadmin && !ptr.Deref(a.Config.AllowPrivileged, false) {
			continue // the configuration's guard rail stands
		}
		cfg := a.Config
		cfg.Sidecar.Profile = p
		o, err := overlay.New(cfg)
		if err != nil {
			continue
		}
		live, err := o.Ephemeral(pod, w.Selection)
		if err != nil {
			continue
		}
		patch, err := ephemeralPatch(live.Container)
		if err != nil {
			continue
		}
		_, err = a.patch(ctx, pod, patch, true)
		if err == nil {
			return &PodSecurityError{Msg: msg, Admitted: p}
		}
		if !isPodSecurity(err) {
			break
		}
	}
	return &PodSecurityError{Msg: msg}
}

// PodSecurityError is a Pod Security refusal, with the profile that the
// API server admits (a server-side dry run said so), if any.
type PodSecurityError struct {
	Msg      string
	Admitted overlay.ProfileName
}

func (e *PodSecurityError) Error() string {
	if e.Admitted == "" {
		return e.Msg + "; no profile is admitted here"
	}
	return fmt.Sprintf("%s; the %s profile is admitted (checked by a server-side dry run): attach with --profile %s", e.Msg, e.Admitted, e.Admitted)
}

// wait watches a pod until its ephemeral container name runs, and
// reports each state it passes on the way.
func (a *Attacher) wait(ctx context.Context, namespace, pod, name, rv string) (Outcome, error) {
	w := &waiter{a: a, namespace: namespace, pod: pod, name: name, rv: rv}
	pods := a.Cluster.Client.CoreV1().Pods(namespace)
	for {
		wi, err := pods.Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", pod).String(), ResourceVersion: w.rv})
		if err != nil {
			if ctx.Err() != nil {
				return w.timedOut()
			}
			return Failed, apiError(err, "watch", "pods", namespace)
		}
		outcome, again, err := w.follow(ctx, wi)
		wi.Stop()
		if !again {
			return outcome, err
		}
	}
}

// waiter is the state of one wait: where the watch is, what was seen.
type waiter struct {
	a                    *Attacher
	namespace, pod, name string
	rv, last             string
}

func (w *waiter) timedOut() (Outcome, error) {
	return TimedOut, fmt.Errorf("%s is not running after %v (last: %s)", w.name, w.a.Timeout, w.last)
}

// follow reads one watch until the container runs or cannot; again means
// the watch ended first (the server closes watches now and then) and is
// to be opened again from w.rv.
func (w *waiter) follow(ctx context.Context, wi watch.Interface) (outcome Outcome, again bool, err error) {
	for {
		var ev watch.Event
		var ok bool
		select {
		case <-ctx.Done():
			outcome, err = w.timedOut()
			return outcome, false, err
		case ev, ok = <-wi.ResultChan():
		}
		if !ok {
			return "", true, nil
		}
		switch ev.Type {
		case watch.Deleted:
			return Failed, false, fmt.Errorf("the pod was deleted while %s was starting", w.name)
		case watch.Error:
			if st, ok := ev.Object.(*metav1.Status); ok && st.Code == 410 {
				w.rv = "" // too old: start from the current state
				return "", true, nil
			}
			return Failed, false, fmt.Errorf("watching pod %s/%s: %v", w.namespace, w.pod, ev.Object)
		}
		p, ok := ev.Object.(*corev1.Pod)
		if !ok {
			continue
		}
		w.rv = p.ResourceVersion
		state, done, err := containerState(p, w.name)
		if done {
			if err != nil {
				return Failed, false, err
			}
			return Attached, false, nil
		}
		if state != w.last {
			w.a.printf("pod %s/%s: %s: %s\n", w.namespace, w.pod, w.name, state)
			w.last = state
		}
	}
}

// containerState says where an ephemeral container is: done with a nil
// error once it runs, done with an error when it cannot.
func containerState(p *corev1.Pod, name string) (state string, done bool, err error) {
	st := ephemeralStatus(p, name)
	switch {
	case st == nil:
		return "waiting for the kubelet", false, nil
	case st.State.Running != nil:
		return "running", true, nil
	case st.State.Terminated != nil:
		t := st.State.Terminated
		return "terminated", true, fmt.Errorf("%s terminated: %s, exit code %d %s", name, t.Reason, t.ExitCode, t.Message)
	case st.State.Waiting != nil:
		w := st.State.Waiting
		switch w.Reason {
		case "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError":
			return w.Reason, true, fmt.Errorf("%s cannot start: %s: %s", name, w.Reason, w.Message)
		}
		if w.Reason == "" {
			return "waiting", false, nil
		}
		return "waiting: " + w.Reason, false, nil
	}
	return "unknown", false, nil
}

func ephemeralStatus(p *corev1.Pod, name string) *corev1.ContainerStatus {
	for i := range p.Status.EphemeralContainerStatuses {
		if p.Status.EphemeralContainerStatuses[i].Name == name {
			return &p.Status.EphemeralContainerStatuses[i]
		}
	}
	return nil
}

// note prints a note about a workload once, not once per pod.
func (a *Attacher) note(w Workload, n string) {
	a.mu.Lock()
	key := w.Namespace + "/" + w.String() + "\x00" + n
	seen := a.noted[key]
	a.noted[key] = true
	a.mu.Unlock()
	if !seen {
		a.printf("%s in namespace %s: note: %s\n", w, w.Namespace, n)
	}
}

func (a *Attacher) printf(format string, args ...any) {
	if a.Progress == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(a.Progress, format, args...)
}
