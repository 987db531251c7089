package attach

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/cmd"
	"github.com/debug-overlay/debug-overlay/generator"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/live"
)

// The exit statuses of attach, for scripts. With --exec, once the
// container runs, the status is the command's.
const (
	ExitOK       = 0 // every selected running pod has a running debug container (dry run: would have)
	ExitFailed   = 1 // no pod got one: an error
	ExitUsage    = 2 // bad flags, arguments or configuration
	ExitPartial  = 3 // some pods got one, others not (not Running, refused, failed, timed out)
	ExitRefused  = 4 // no pod got one: a missing permission, or Pod Security
	ExitTimedOut = 5 // no pod got one in time (--timeout)
)

// AttachOptions runs attach.
type AttachOptions struct {
	Kube    *genericclioptions.ConfigFlags
	Overlay *cmd.OverlayFlags

	Release   string
	Filenames []string
	DryRun    string
	Output    string
	Timeout   time.Duration
	Exec      bool
	Stdin     bool
	TTY       bool
	AllPods   bool
	Pods      []string
	MaxPods   int

	args    []string // KIND/NAME
	command []string // after --

	namespace string
	restCfg   *rest.Config
	cluster   *live.Cluster
	flagCfg   overlay.Config
	release   *live.Release // read for --release
}

// NewAttachOptions returns the defaults.
func NewAttachOptions() *AttachOptions {
	return &AttachOptions{
		Kube:    genericclioptions.NewConfigFlags(true),
		Overlay: cmd.NewOverlayFlags(),
		DryRun:  string(live.DryRunNone),
		Timeout: 2 * time.Minute,
	}
}

// AddFlags registers attach's flags: kubectl's connection flags, the
// overlay's flags that mean something on running pods, and its own.
func (o *AttachOptions) AddFlags(fs *pflag.FlagSet) {
	o.Kube.AddFlags(fs)
	o.Overlay.AddLiveFlags(fs)
	fs.StringVar(&o.Release, "release", "", "Attach to the pods of this Helm release's workloads, configured by its values of the debug-overlay chart")
	fs.StringArrayVarP(&o.Filenames, "filename", "f", nil, "Attach to the pods of the workloads in these rendered manifests (- for stdin); repeatable")
	fs.StringVar(&o.DryRun, "dry-run", o.DryRun, fmt.Sprintf("Only show what would be done: %s (client: build the patches; server: the API server validates and admits them, nothing changes)", overlay.JoinNames(live.DryRuns)))
	fs.Lookup("dry-run").NoOptDefVal = string(live.DryRunClient)
	fs.StringVarP(&o.Output, "output", "o", "", "Print the patches instead of the kubectl exec lines: yaml or json")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "How long to wait for the debug containers to run")
	fs.BoolVar(&o.Exec, "exec", false, "Open the shell (or the command after --) in the first pod's debug container once it runs; the same as -it")
	fs.BoolVarP(&o.Stdin, "stdin", "i", false, "With the shell: pass stdin to it")
	fs.BoolVarP(&o.TTY, "tty", "t", false, "With the shell: give it a terminal")
	fs.BoolVar(&o.AllPods, "all-pods", false, "Attach to every pod of each workload, not one (ephemeral containers stay until the pod is replaced)")
	fs.StringArrayVar(&o.Pods, "pod", nil, "Attach to this pod of the workloads (by name) instead of the newest Ready one; repeatable")
	fs.IntVar(&o.MaxPods, "max-pods", 1, "Attach to at most this many running pods of each workload, the newest Ready first")
}

// attachDefaults is the layer above the defaults that attach has of its
// own: profile auto (the post-renderer's default stays general).
func attachDefaults() overlay.Config {
	return overlay.Config{Sidecar: overlay.Sidecar{Profile: overlay.ProfileAuto}}
}

// Complete reads the arguments, KIND/NAME... before dash (the index of
// --, or -1) and the command after it, and the configuration flags.
func (o *AttachOptions) Complete(args []string, dash int) error {
	if dash >= 0 {
		o.args, o.command = args[:dash], args[dash:]
	} else {
		o.args = args
	}
	if o.Stdin || o.TTY {
		o.Exec = true
	}
	var err error
	if o.flagCfg, err = o.Overlay.Config(); err != nil {
		return usage(err)
	}
	return nil
}

// connect reads the kubeconfig and makes the clients.
func (o *AttachOptions) connect() error {
	var err error
	if o.namespace, _, err = o.Kube.ToRawKubeConfigLoader().Namespace(); err != nil {
		return usage(fmt.Errorf("kubeconfig: %w", err))
	}
	if o.restCfg, err = o.Kube.ToRESTConfig(); err != nil {
		return usage(fmt.Errorf("kubeconfig: %w", err))
	}
	client, err := kubernetes.NewForConfig(o.restCfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(o.restCfg)
	if err != nil {
		return err
	}
	mapper, err := o.Kube.ToRESTMapper()
	if err != nil {
		return err
	}
	o.cluster = &live.Cluster{Client: client, Dynamic: dyn, Mapper: mapper}
	return nil
}

// Validate checks the flags and arguments together.
func (o *AttachOptions) Validate() error {
	sources := 0
	for _, set := range []bool{o.Release != "", len(o.Filenames) > 0, len(o.args) > 0} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return usage(errors.New("say which workloads: --release NAME, -f FILE (- for stdin), or KIND/NAME arguments; one of them"))
	}
	if !slices.Contains(live.DryRuns, live.DryRun(o.DryRun)) {
		return usage(fmt.Errorf("--dry-run %q: want %s", o.DryRun, overlay.JoinNames(live.DryRuns)))
	}
	if o.Output != "" && o.Output != "yaml" && o.Output != "json" {
		return usage(fmt.Errorf("--output %q: want yaml or json", o.Output))
	}
	if o.Exec && o.DryRun != string(live.DryRunNone) {
		return usage(errors.New("--exec (-i, -t) needs a container that runs: not with --dry-run"))
	}
	if len(o.command) > 0 && !o.Exec {
		return usage(fmt.Errorf("a command after -- (%q) runs with --exec only", o.command))
	}
	if o.Timeout <= 0 {
		return usage(fmt.Errorf("--timeout %v: want a positive duration", o.Timeout))
	}
	if o.MaxPods < 1 {
		return usage(fmt.Errorf("--max-pods %d: want 1 or more", o.MaxPods))
	}
	if n := len(o.Pods); o.AllPods && n > 0 || (o.AllPods || n > 0) && o.MaxPods != 1 {
		return usage(errors.New("--all-pods, --pod and --max-pods say which pods: give one of them"))
	}
	return nil
}

// NewAttachCommand returns `kubectl-debug_overlay attach`.
func NewAttachCommand() *cobra.Command {
	o := NewAttachOptions()
	c := &cobra.Command{
		Use:   "attach [KIND/NAME...] [-- COMMAND [ARG...]]",
		Short: "Add the debug container to running pods, without a restart",
		Long: `attach gives the running pods of the workloads a DebugOverlay configuration
selects the overlay's debug container, as an ephemeral container: the same
preset and image as the post-renderer's sidecar, aimed at the app container
(its processes are visible), running as the app's user and with the app's
volume mounts at the same paths. Nothing restarts. The workloads come from a
Helm release (--release, configured by its values of the debug-overlay
chart), from rendered manifests (-f), or from KIND/NAME arguments.

Ephemeral containers stay until the pod is replaced, so each workload's
newest Ready running pod gets one, unless --all-pods, --pod NAME or
--max-pods N say otherwise. Profile auto, attach's default, picks per pod the
most capable of restricted < baseline < general that the namespace's Pod
Security level admits: its pod-security.kubernetes.io/enforce label, else
--pod-security, else server-side dry runs, most capable first; attach says
which level it used, where it read it, and what the choice costs.

Precedence, lowest first: defaults, the release's values or the manifests'
DebugOverlay document, --config, flags. Attaching is an explicit request: the
configuration's enabled field is not needed.

What an ephemeral container cannot have is given another way, with a note:
subPath mounts are mounted whole under /debug-overlay/volumes/<volume>;
resources are left out; copies of Secret and ConfigMap volumes need the
declarative overlay (the pod's volumes cannot change while it runs).

Exit status: 0 every picked running pod has a running debug container
(with --dry-run: would have); 1 an error, no pod has one; 2 bad flags,
arguments or configuration; 3 some pods have one, others not; 4 refused (a
missing permission, or Pod Security), no pod has one; 5 not running within
--timeout. With --exec, once a container runs, the command's exit status.`,
		Example: `  # The debug container in one pod of each workload of a Helm release
  kubectl debug-overlay attach --release geth -n geth

  # ...in every pod of them
  kubectl debug-overlay attach --release geth -n geth --all-pods

  # ...and a shell in the first pod
  kubectl debug-overlay attach --release geth -n geth -it

  # A command instead of the shell
  kubectl debug-overlay attach statefulset/geth -n geth --exec -- ls -l /keystore

  # From rendered manifests, with the restricted profile
  helm template geth charts/examples/geth | kubectl debug-overlay attach -f - -n geth --profile restricted

  # Show the patches; let the API server check them without changing anything
  kubectl debug-overlay attach deploy/web --dry-run=server -o yaml`,
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.Complete(args, c.ArgsLenAtDash()); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(c.Context(), c.InOrStdin(), c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	o.AddFlags(c.Flags())
	return c
}

// Run finds the workloads, attaches, prints, and opens the shell. Its
// error carries the exit status (the Exit constants).
func (o *AttachOptions) Run(ctx context.Context, in io.Reader, out, errOut io.Writer) error {
	return refused(o.run(ctx, in, out, errOut))
}

func (o *AttachOptions) run(ctx context.Context, in io.Reader, out, errOut io.Writer) error {
	if err := o.connect(); err != nil {
		return err
	}
	cfg, workloads, err := o.workloads(ctx, in, errOut)
	if err != nil {
		return err
	}
	a := &live.Attacher{Cluster: o.cluster, Config: cfg, DryRun: live.DryRun(o.DryRun), Timeout: o.Timeout, Progress: errOut,
		Pods: live.PodChoice{All: o.AllPods, Names: o.Pods, Max: o.MaxPods}}
	if o.release != nil {
		a.Release, a.ValuesKey = o.release.Name, o.release.ValuesKey
	}
	results, err := a.Attach(ctx, workloads)
	if unknown := (*live.UnknownPodError)(nil); errors.As(err, &unknown) {
		return usage(err)
	}
	if err != nil {
		return err
	}
	if err := o.print(results, out); err != nil {
		return err
	}
	status := summarize(results)
	if o.Exec {
		return o.shell(ctx, results, in, out, errOut, status)
	}
	return status
}

// workloads returns the configuration and the selected workloads, from
// the arguments, the release or the manifests.
func (o *AttachOptions) workloads(ctx context.Context, in io.Reader, errOut io.Writer) (overlay.Config, []live.Workload, error) {
	var listed []generator.Listed
	var cfg overlay.Config
	var err error
	switch {
	case len(o.args) > 0:
		return o.named(ctx)
	case o.Release != "":
		cfg, listed, err = o.released(errOut)
	default:
		cfg, listed, err = o.rendered(in)
	}
	if err != nil {
		return cfg, nil, err
	}
	return o.selected(cfg, listed)
}

// named returns the workloads the KIND/NAME arguments name, configured by
// the defaults and the flags (generator.Resolve); each must be selected.
func (o *AttachOptions) named(ctx context.Context) (overlay.Config, []live.Workload, error) {
	cfg, err := generator.Resolve(attachDefaults(), o.flagCfg)
	if err != nil {
		return cfg, nil, usage(err)
	}
	kinds := overlay.NewKindTable(cfg.Kinds)
	var out []live.Workload
	for _, arg := range o.args {
		w, err := o.cluster.ParseWorkload(arg, o.namespace, kinds, cfg.Kinds)
		if err != nil {
			return cfg, nil, usage(err)
		}
		meta, err := o.cluster.Meta(ctx, w)
		if err != nil {
			return cfg, nil, err
		}
		w.Selection = cfg.Select(meta)
		if !w.Selection.Selected {
			return cfg, nil, usage(fmt.Errorf("%s: the configuration does not select it (targets: %s; or an inject annotation, or a hook)", w, targetList(cfg.Targets)))
		}
		out = append(out, w)
	}
	return cfg, out, nil
}

// released lists the workloads of the Helm release, configured by its
// values of the debug-overlay chart and the flags.
func (o *AttachOptions) released(errOut io.Writer) (overlay.Config, []generator.Listed, error) {
	rel, err := o.cluster.ReadRelease(o.Release, o.namespace)
	if err != nil {
		return overlay.Config{}, nil, err
	}
	o.release = rel
	if rel.ValuesKey != "" {
		fmt.Fprintf(errOut, "release %s (revision %d): configuration from its values of %s\n", rel.Name, rel.Revision, rel.ValuesKey)
	}
	cfg, listed, err := generator.ListWorkloads(strings.NewReader(string(rel.Manifest)), attachDefaults().Merge(rel.Config), o.flagCfg)
	if err != nil {
		return cfg, nil, usage(fmt.Errorf("release %s: %w", rel.Name, err))
	}
	return cfg, listed, nil
}

// rendered lists the workloads of the manifests (-f), configured by their
// DebugOverlay document and the flags.
func (o *AttachOptions) rendered(in io.Reader) (overlay.Config, []generator.Listed, error) {
	var readers []io.Reader
	for _, f := range o.Filenames {
		if f == "-" {
			readers = append(readers, in)
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return overlay.Config{}, nil, usage(fmt.Errorf("reading -f: %w", err))
		}
		readers = append(readers, strings.NewReader(string(data)+"\n---\n"))
	}
	cfg, listed, err := generator.ListWorkloads(io.MultiReader(readers...), attachDefaults(), o.flagCfg)
	if err != nil {
		return cfg, nil, usage(err)
	}
	return cfg, listed, nil
}

// selected returns the listed workloads the configuration selects, in the
// namespace of the kubeconfig when they name none; none is an error.
func (o *AttachOptions) selected(cfg overlay.Config, listed []generator.Listed) (overlay.Config, []live.Workload, error) {
	var out []live.Workload
	var seen []string
	for _, l := range listed {
		seen = append(seen, strings.ToLower(l.Kind.Kind)+"/"+l.Meta.Name)
		if !l.Selection.Selected {
			continue
		}
		ns := l.Meta.Namespace
		if ns == "" {
			ns = o.namespace
		}
		out = append(out, live.Workload{APIVersion: l.APIVersion, Kind: l.Kind, Namespace: ns, Name: l.Meta.Name, Selection: l.Selection})
	}
	if len(out) == 0 {
		return cfg, nil, usage(fmt.Errorf("the configuration selects no workload (workloads: %s; targets: %s)", orNone(seen), targetList(cfg.Targets)))
	}
	return cfg, out, nil
}

// print writes the exec lines, or the patches, of the results on stdout.
func (o *AttachOptions) print(results []live.PodResult, out io.Writer) error {
	for _, r := range results {
		switch {
		case o.Output != "" && r.Patch != nil:
			fmt.Fprintf(out, "# pods/%s in namespace %s: kubectl patch --subresource=ephemeralcontainers --type=strategic\n", r.Pod, r.Namespace)
			data := r.Patch
			if o.Output == "yaml" {
				var err error
				if data, err = yaml.JSONToYAML(r.Patch); err != nil {
					return err
				}
				fmt.Fprintf(out, "%s---\n", data)
				continue
			}
			fmt.Fprintf(out, "%s\n", data)
		case o.Output == "" && !o.Exec && r.Ready():
			fmt.Fprintln(out, r.ExecCommand())
		}
	}
	return nil
}

// shell runs the shell (or the command) in the first pod that has a
// running debug container and returns its exit status; status, what
// attach itself came to, when no pod has one.
func (o *AttachOptions) shell(ctx context.Context, results []live.PodResult, in io.Reader, out, errOut io.Writer, status error) error {
	i := slices.IndexFunc(results, live.PodResult.Ready)
	if i < 0 {
		return status
	}
	r := results[i]
	command := o.command
	if len(command) == 0 {
		command = []string{r.Shell}
	}
	var stdin io.Reader
	tty := false
	if o.Stdin || o.TTY || len(o.command) == 0 {
		stdin = in
		f, ok := in.(*os.File)
		tty = ok && term.IsTerminal(int(f.Fd()))
		if !tty && o.TTY {
			fmt.Fprintln(errOut, "Unable to use a TTY: stdin is not a terminal")
		}
	}
	fmt.Fprintf(errOut, "pod %s/%s: running %q in %s\n", r.Namespace, r.Pod, command, r.Container)
	code, err := o.cluster.Exec(ctx, o.restCfg, r.Namespace, r.Pod, r.Container, command, stdin, out, errOut, tty)
	if err != nil {
		return fmt.Errorf("exec in pod %s/%s, container %s: %w", r.Namespace, r.Pod, r.Container, err)
	}
	if code != 0 {
		return &cmd.StatusError{Code: code, Err: fmt.Errorf("%q exited with status %d", command, code)}
	}
	return nil
}

// summarize turns the results into the command's error and exit status.
func summarize(results []live.PodResult) error {
	if len(results) == 0 {
		return &cmd.StatusError{Code: ExitFailed, Err: errors.New("the selected workloads have no pods")}
	}
	var ok int
	var failed []string
	codes := map[int]bool{}
	for _, r := range results {
		if r.Ready() {
			ok++
			continue
		}
		failed = append(failed, fmt.Sprintf("pod %s/%s: %v", r.Namespace, r.Pod, r.Err))
		switch r.Outcome {
		case live.Refused:
			codes[ExitRefused] = true
		case live.TimedOut:
			codes[ExitTimedOut] = true
		default:
			codes[ExitFailed] = true
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case ok > 0:
		return &cmd.StatusError{Code: ExitPartial, Err: fmt.Errorf("%d of %d pods have no debug container:\n%s", len(failed), len(results), strings.Join(failed, "\n"))}
	}
	code := ExitFailed
	if len(codes) == 1 {
		for c := range codes {
			code = c
		}
	}
	return &cmd.StatusError{Code: code, Err: fmt.Errorf("no pod has a debug container:\n%s", strings.Join(failed, "\n"))}
}

// usage makes err a usage error: bad flags, arguments or configuration.
func usage(err error) error { return &cmd.StatusError{Code: ExitUsage, Err: err} }

// refused gives a missing permission that no other status classified its
// own exit status.
func refused(err error) error {
	var st *cmd.StatusError
	var pe *live.PermissionError
	if errors.As(err, &pe) && !errors.As(err, &st) {
		return &cmd.StatusError{Code: ExitRefused, Err: err}
	}
	return err
}

func targetList(ts []overlay.Target) string {
	if len(ts) == 0 {
		return "none: every workload"
	}
	var s []string
	for _, t := range ts {
		s = append(s, t.String())
	}
	return strings.Join(s, ", ")
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
