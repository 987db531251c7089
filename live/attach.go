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

// PodResult is what attach did to one pod.
type PodResult struct {
	Workload  Workload
	Namespace string
	Pod       string
	// Container and Shell are the debug container's, when there is one.
	Container string
	Shell     string
	// Choice is its profile and user, and why.
	Choice  overlay.Choice
	Outcome Outcome
	// Err says why a pod was skipped, refused, timed out or failed.
	Err error
	// Patch is the strategic merge patch of the pod's ephemeralcontainers
	// subresource (JSON), when one was made.
	Patch []byte
	// Took is the time from the patch to a running container.
	Took time.Duration

	image, target string
	confirmed     string // how the API server chose the profile, when it did
	added         bool   // this attach added the container
}

// Ready reports whether the pod has (or, in a dry run, would have) a
// running debug container.
func (r PodResult) Ready() bool {
	return r.Outcome == Attached || r.Outcome == Reused || r.Outcome == Planned
}

// ExecCommand is the kubectl line that opens the shell.
func (r PodResult) ExecCommand() string {
	return fmt.Sprintf("kubectl exec -it -n %s %s -c %s -- %s", r.Namespace, r.Pod, r.Container, r.Shell)
}

// DefaultParallel is how many pods attach patches and waits for at once
// by default.
const DefaultParallel = 4

// Attacher adds the debug container to the running pods of workloads.
type Attacher struct {
	Cluster *Cluster
	// Config is the validated configuration; attaching is an explicit
	// request, so its enabled field is not looked at.
	Config overlay.Config
	DryRun DryRun
	// Timeout bounds the wait for the containers to run.
	Timeout time.Duration
	// Pods says which pods of each workload get the debug container.
	Pods PodChoice
	// Parallel bounds how many pods are patched and waited for at once;
	// 0 is DefaultParallel.
	Parallel int
	// Progress receives a line per workload (its pods, which get the
	// container and why), per namespace for profile auto (its level), per
	// pod (what became of it), and the notes.
	Progress io.Writer
	// Release and ValuesKey name the Helm release the workloads come
	// from, and its toggle chart's values, when they do: the hint for a
	// container that does not run says how to hold it in a twin then.
	Release, ValuesKey string
	// Now is the clock for the pods' ages; nil is time.Now.
	Now func() time.Time

	mu    sync.Mutex
	noted map[string]bool
	base  *overlay.Overlay
	// For profile auto: the levels of the namespaces that have one, and
	// an overlay per rung, for the namespaces that do not.
	auto  bool
	known map[string]overlay.PodSecurity
	rungs map[overlay.ProfileName]*overlay.Overlay
}

// Attach gives the picked running pods of the workloads (Pods) the debug
// container, a few at a time (Parallel), and returns a result per pod, in
// the order of the workloads and their pods. Its error is for what stops
// everything: a workload that cannot be read, a pod asked for that no
// workload has.
func (a *Attacher) Attach(ctx context.Context, workloads []Workload) ([]PodResult, error) {
	o, err := overlay.New(a.Config)
	if err != nil {
		return nil, err
	}
	a.base, a.noted = o, map[string]bool{}
	if a.auto = a.Config.Sidecar.Profile == overlay.ProfileAuto; a.auto {
		a.known = a.levels(ctx, workloads)
		o.SetNamespaces(a.known)
		a.rungs = map[overlay.ProfileName]*overlay.Overlay{}
		for _, p := range overlay.AutoLadder() {
			cfg := a.Config
			cfg.Sidecar.Profile = p
			if a.rungs[p], err = overlay.New(cfg); err != nil {
				return nil, err
			}
		}
	}
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	type job struct {
		w   Workload
		pod corev1.Pod
	}
	var jobs []job
	var have []string
	for _, w := range workloads {
		pods, err := a.Cluster.Pods(ctx, w)
		if err != nil {
			return nil, err
		}
		have = append(have, podNames(pods)...)
		picked, why := a.Pods.pick(pods, now)
		a.printf("%s in namespace %s: %s\n", w, w.Namespace, why)
		for _, p := range picked {
			jobs = append(jobs, job{w: w, pod: p})
		}
	}
	if missing := slices.DeleteFunc(slices.Clone(a.Pods.Names), func(n string) bool { return slices.Contains(have, n) }); len(missing) > 0 {
		return nil, &UnknownPodError{Names: missing, Have: have}
	}
	results := make([]PodResult, len(jobs))
	sem := make(chan struct{}, cmp.Or(a.Parallel, DefaultParallel))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = a.attachPod(ctx, j.w, &j.pod)
		}()
	}
	wg.Wait()
	return results, nil
}

// attachPod gives one pod the debug container, waits for it to run, and
// says in one line what became of it.
func (a *Attacher) attachPod(ctx context.Context, w Workload, pod *corev1.Pod) PodResult {
	r, rv, wait := a.prepare(ctx, w, pod)
	if wait {
		start := time.Now()
		ctx, cancel := context.WithTimeout(ctx, a.Timeout)
		r.Outcome, r.Err = a.wait(ctx, r.Namespace, r.Pod, r.Container, rv)
		cancel()
		r.Took = time.Since(start)
		if r.Outcome == Attached && !r.added {
			r.Outcome = Reused
		}
	}
	a.printf("pod %s/%s: %s\n", r.Namespace, r.Pod, r.line(a.DryRun))
	return r
}

// line says what became of the pod, for people.
func (r PodResult) line(dryRun DryRun) string {
	profile := "profile " + r.Choice.String()
	if r.confirmed != "" {
		profile = fmt.Sprintf("profile %s: %s, %s", overlay.ProfileAuto, r.Choice.Profile, r.confirmed)
	}
	who := ""
	if r.Choice.User != "" {
		who = "; runs as " + r.Choice.User
	}
	switch r.Outcome {
	case Attached:
		return fmt.Sprintf("%s is running (%.1fs): added as an ephemeral container (%s), targeting %s; %s%s", r.Container, r.Took.Seconds(), r.image, r.target, profile, who)
	case Reused:
		return fmt.Sprintf("%s, from an earlier attach, is running: reused", r.Container)
	case Planned:
		if r.Patch == nil {
			return fmt.Sprintf("%s, from an earlier attach, is starting: reused (dry run)", r.Container)
		}
		if dryRun == DryRunServer {
			return fmt.Sprintf("the API server accepts %s; %s%s (dry run: nothing changed)", r.Container, profile, who)
		}
		return fmt.Sprintf("%s would be added; %s%s (client dry run: nothing sent)", r.Container, profile, who)
	}
	return r.Err.Error()
}

// prepare decides for one pod and sends its patch; wait true means the
// container is to be waited for, from resource version rv.
func (a *Attacher) prepare(ctx context.Context, w Workload, pod *corev1.Pod) (r PodResult, rv string, wait bool) {
	r = PodResult{Workload: w, Namespace: pod.Namespace, Pod: pod.Name}
	if pod.DeletionTimestamp != nil || pod.Status.Phase != corev1.PodRunning {
		state := string(pod.Status.Phase)
		if pod.DeletionTimestamp != nil {
			state = "being deleted"
		}
		r.Outcome, r.Err = Skipped, fmt.Errorf("the pod is %s, not Running: skipped", state)
		return r, "", false
	}
	var lives []*overlay.Live
	for _, o := range a.candidates(pod.Namespace) {
		live, err := o.Ephemeral(pod, w.Selection)
		if err != nil {
			r.Outcome, r.Err = Failed, err
			return r, "", false
		}
		lives = append(lives, live)
	}
	for _, n := range lives[0].Notes {
		a.note(w, n)
	}
	if lives[0].Down != nil {
		a.noteDown(ctx, w, pod, lives[0])
	}
	if rv, wait, ok := a.reuse(&r, pod, lives); ok {
		return r, rv, wait
	}
	live, ok := a.choose(ctx, &r, pod, lives)
	if !ok {
		return r, "", false
	}
	return a.add(ctx, r, pod, live, len(lives) > 1)
}

// reuse takes the container of an earlier attach with this configuration
// when it runs or is starting; ok false when there is none.
func (a *Attacher) reuse(r *PodResult, pod *corev1.Pod, lives []*overlay.Live) (rv string, wait, ok bool) {
	for _, live := range lives {
		for _, name := range slices.Backward(live.Same) {
			st := ephemeralStatus(pod, name)
			if st != nil && st.State.Terminated != nil {
				continue
			}
			r.Container, r.Shell, r.Choice = name, live.Shell, live.Choice
			switch {
			case st != nil && st.State.Running != nil:
				r.Outcome = Reused
				return "", false, true
			case a.DryRun != DryRunNone:
				r.Outcome = Planned
				return "", false, true
			}
			return pod.ResourceVersion, true, true
		}
	}
	return "", false, false
}

// choose picks the container to add: the only candidate, or with auto's
// rungs, the most capable the API server admits (a client dry run cannot
// ask, and takes the most capable unchecked).
func (a *Attacher) choose(ctx context.Context, r *PodResult, pod *corev1.Pod, lives []*overlay.Live) (*overlay.Live, bool) {
	live := lives[0]
	switch {
	case len(lives) > 1 && a.DryRun == DryRunClient:
		r.confirmed = "the most capable rung, unchecked: a client dry run does not ask the API server"
	case len(lives) > 1:
		var err error
		if live, r.confirmed, err = a.confirm(ctx, pod, lives); err != nil {
			r.Outcome, r.Err = Failed, err
			if refused(err) {
				r.Outcome = Refused
			}
			return nil, false
		}
	}
	r.Container, r.Shell, r.Choice = live.Container.Name, live.Shell, live.Choice
	r.image, r.target = live.Container.Image, cmp.Or(live.Container.TargetContainerName, "no container")
	return live, true
}

// add sends the patch that adds live's container to the pod (a server dry
// run already checked it when confirmed).
func (a *Attacher) add(ctx context.Context, r PodResult, pod *corev1.Pod, live *overlay.Live, confirmed bool) (PodResult, string, bool) {
	var err error
	if r.Patch, err = ephemeralPatch(live.Container); err != nil {
		r.Outcome, r.Err = Failed, err
		return r, "", false
	}
	if a.DryRun == DryRunClient || a.DryRun == DryRunServer && confirmed {
		r.Outcome = Planned // a server dry run checked it already
		return r, "", false
	}
	patched, err := a.patch(ctx, pod, r.Patch, a.DryRun == DryRunServer)
	if err != nil {
		r.Outcome, r.Err = Failed, err
		if isPodSecurity(err) {
			r.Err = a.podSecurityError(ctx, pod, r.Workload, r.Choice, err)
		}
		if refused(err) {
			r.Outcome = Refused
		}
		return r, "", false
	}
	if a.DryRun == DryRunServer {
		r.Outcome = Planned
		return r, "", false
	}
	r.added = true
	return r, patched.ResourceVersion, true
}

// refused reports whether err is a refusal: a missing permission, or Pod
// Security.
func refused(err error) bool {
	pe := (*PermissionError)(nil)
	return isPodSecurity(err) || errors.As(err, &pe) || errors.As(err, new(*PodViolatesError)) || errors.As(err, new(*PodSecurityError))
}

// candidates are the overlays whose containers a pod in namespace may
// get: the configured one; for profile auto where the namespace's level
// is not known (and spec.podSecurity does not say it), auto's rungs, the
// most capable first, for the API server to choose from.
func (a *Attacher) candidates(namespace string) []*overlay.Overlay {
	if _, ok := a.known[namespace]; !a.auto || ok || a.Config.PodSecurity != "" {
		return []*overlay.Overlay{a.base}
	}
	var out []*overlay.Overlay
	for _, p := range ladderDown() {
		out = append(out, a.rungs[p])
	}
	return out
}

// confirm asks the API server which of the candidates' containers Pod
// Security admits, by server-side dry runs, the most capable first, and
// says how it went.
func (a *Attacher) confirm(ctx context.Context, pod *corev1.Pod, lives []*overlay.Live) (*overlay.Live, string, error) {
	var refusedBy []string
	var last error
	for _, live := range lives {
		patch, err := ephemeralPatch(live.Container)
		if err != nil {
			return nil, "", err
		}
		_, err = a.patch(ctx, pod, patch, true)
		if err == nil {
			how := "admitted by a server-side dry run (the namespace's level is not known here)"
			if len(refusedBy) > 0 {
				how = fmt.Sprintf("the most capable that Pod Security admits: %s refused by server-side dry runs (the namespace's level is not known here)", strings.Join(refusedBy, " and "))
			}
			return live, how, nil
		}
		if !isPodSecurity(err) {
			return nil, "", err
		}
		refusedBy, last = append(refusedBy, string(live.Choice.Profile)), err
	}
	return nil, "", podViolates(last)
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

// podSecurityError explains a Pod Security refusal of the chosen
// profile: with auto and a level the namespace's label says, the pod
// itself violates it (auto's container meets it); else it names the most
// capable of the less capable profiles that the API server admits, by
// dry runs, and when none is, the pod itself violates the level.
func (a *Attacher) podSecurityError(ctx context.Context, pod *corev1.Pod, w Workload, ch overlay.Choice, refusal error) error {
	if _, ok := a.known[pod.Namespace]; a.auto && ok {
		return podViolates(refusal)
	}
	msg := fmt.Sprintf("Pod Security refused the %s profile: %s", ch.Profile, apiMessage(refusal))
	p, err := overlay.LookupProfile(ch.Profile)
	if err != nil {
		return &PodSecurityError{Msg: msg}
	}
	last := refusal
	for _, lower := range slices.Backward(overlay.ProfilesByRank()) {
		q, _ := overlay.LookupProfile(lower)
		if q.Rank() >= p.Rank() {
			continue
		}
		cfg := a.Config
		cfg.Sidecar.Profile = lower
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
			return &PodSecurityError{Msg: msg, Admitted: lower}
		}
		if !isPodSecurity(err) {
			return &PodSecurityError{Msg: msg}
		}
		last = err
	}
	return podViolates(last)
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
	return fmt.Sprintf("%s; the %s profile is admitted (checked by a server-side dry run): attach with --profile %s, or --profile %s", e.Msg, e.Admitted, e.Admitted, overlay.ProfileAuto)
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
		w.last = state
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
