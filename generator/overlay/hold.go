package overlay

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
)

// Holding (issue 26): in twin mode, the twin's target containers (twin.hold)
// and init containers named in twin.holdInit do not run their program. They
// idle in a loop of the injected busybox, without probes or lifecycle
// hooks, and their program is recorded, unexpanded, so a person can exec
// into the container and start it by hand: under strace, with other
// flags, after a look around. A held init container keeps the pod in its
// Init phase until it is released. The original stays as it was.

// The names and paths of a hold.
const (
	// HeldAnnotation, on the twin's pod template, lists the held
	// containers and their programs as JSON ([]Held).
	HeldAnnotation = Group + "/held"
	// HoldEnv, the last environment variable of a held container, holds
	// its program as a shell line (Held.Run): eval "$DEBUG_OVERLAY_HELD_COMMAND"
	// runs it.
	HoldEnv = "DEBUG_OVERLAY_HELD_COMMAND"
	// EntrypointEnv is what a person sets to the image's entrypoint when
	// the manifest sets no command, for Held.Run.
	EntrypointEnv = "DEBUG_OVERLAY_ENTRYPOINT"
	// HoldVolumeName is the emptyDir where a held container's release file
	// goes, mounted writable at HoldPath in the held containers.
	HoldVolumeName = "debug-overlay-hold"
	HoldPath       = "/debug-overlay/hold"
)

// holdScript is the idle loop of a held container, run by the tools'
// busybox with absolute paths (the image may have no shell, and PATH is
// the app's):
//
//	/debug-overlay/bin/sh -c holdScript debug-overlay-hold NAME RELEASE
//
// It exits 0 on SIGTERM at once (a trap, and a sleep it waits for in the
// background, which the trap ends too: a shell in the foreground of sleep
// would act on TERM only when sleep ends), and when the file RELEASE appears, which is how a held
// init container lets the pod go on. PID 1 of the container is not always
// the loop (with shareProcessNamespace it is the pod's pause process), so
// the release is a file, not a signal.
const holdScript = `trap 'kill $! 2>/dev/null; exit 0' TERM INT
echo "debug-overlay: container $1 is held: its program does not run; eval \"\$` + HoldEnv + `\" in ` + ToolsShell + ` runs it; touch $2 releases the container"
while [ ! -e "$2" ]; do
  ` + ToolsPath + `/sleep 1 &
  wait $!
done
echo "debug-overlay: container $1 released"
`

// HoldCommand is the command of a held container.
func HoldCommand(container string) []string {
	return []string{ToolsPath + "/sh", "-c", holdScript, "debug-overlay-hold", container, ReleaseFile(container)}
}

// ReleaseFile is the file whose existence releases a held container.
func ReleaseFile(container string) string { return HoldPath + "/" + container }

// HoldPlan is what a twin holds.
type HoldPlan struct {
	// Containers holds the target containers; Targets names them (nil:
	// every regular container).
	Containers bool
	Targets    []string
	// Init names the init containers to hold.
	Init []string
}

// Holds reports whether the regular container name is held.
func (h *HoldPlan) Holds(name string) bool {
	return h != nil && h.Containers && (len(h.Targets) == 0 || slices.Contains(h.Targets, name))
}

// SelectHeld narrows the plan's hold to the target containers of sel.
func (p *TwinPlan) SelectHeld(sel Selection) {
	if p.Hold != nil {
		p.Hold.Targets = sel.Containers
	}
}

// Held is one held container and its program.
type Held struct {
	Container string `json:"container"`
	Init      bool   `json:"init,omitempty"`
	// Command and Args are the container's, as the manifest writes them:
	// $(VAR) references unexpanded. No Command means the image's
	// entrypoint runs, which the manifest does not say.
	Command []string `json:"command,omitempty"`
	Args    []string `json:"args,omitempty"`
	// Run is the program as a POSIX shell line: each word single-quoted,
	// a $(VAR) reference as "${VAR}", which the shell expands from the
	// container's environment as kubelet would have (see ShellWord). With
	// no Command it starts with $DEBUG_OVERLAY_ENTRYPOINT, and fails
	// saying so while that is unset.
	Run string `json:"run"`
}

// EntrypointUnknown reports whether the manifest leaves the program to the
// image.
func (h Held) EntrypointUnknown() bool { return len(h.Command) == 0 }

// EnvValue is the value of HoldEnv: Run with each $ doubled, as kubelet
// expands $(VAR) references in environment values too, and gives back $
// for $$.
func (h Held) EnvValue() string { return strings.ReplaceAll(h.Run, "$", "$$") }

// HoldProgram records the program of a container to hold: command and
// args as the manifest writes them.
func HoldProgram(container string, init bool, command, args []string) Held {
	h := Held{Container: container, Init: init, Command: command, Args: args}
	var words []string
	if len(command) == 0 {
		what := "no command, so the entrypoint of the image runs"
		if len(args) == 0 {
			what = "neither command nor args, so the entrypoint and cmd of the image run"
		}
		// Unquoted: an entrypoint of several words splits.
		words = append(words, "${"+EntrypointEnv+":?the manifest sets "+what+", which debug-overlay cannot know: set "+EntrypointEnv+"}")
	}
	for _, w := range append(slices.Clone(command), args...) {
		words = append(words, ShellWord(w))
	}
	h.Run = strings.Join(words, " ")
	return h
}

// ShellWord writes a word of a container's command or args as the POSIX
// shell word that gives what kubelet runs: kubelet expands $(VAR) from the
// container's environment and turns $$ into $ (and leaves any other $
// alone); here the text is single-quoted, and a reference becomes "${VAR}"
// for the shell to expand from the same environment. Two differences
// remain: a variable the container lacks expands to nothing, where kubelet
// leaves $(VAR) as it is; and a name that is no shell variable name (an
// environment variable may be named "a.b") stays literal.
func ShellWord(w string) string {
	var out, lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out.WriteString("'" + strings.ReplaceAll(lit.String(), "'", `'\''`) + "'")
			lit.Reset()
		}
	}
	for i := 0; i < len(w); i++ {
		if w[i] != '$' || i+1 == len(w) {
			lit.WriteByte(w[i])
			continue
		}
		switch w[i+1] {
		case '$':
			lit.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(w[i+2:], ')')
			if end < 0 { // not closed: kubelet keeps it
				lit.WriteString("$(")
				i++
				continue
			}
			name := w[i+2 : i+2+end]
			if shellName(name) {
				flush()
				out.WriteString(`"${` + name + `}"`)
			} else {
				lit.WriteString("$(" + name + ")")
			}
			i += 2 + end
		default:
			lit.WriteString(w[i : i+2])
			i++
		}
	}
	flush()
	if out.Len() == 0 {
		return "''"
	}
	return out.String()
}

// shellName reports whether s is a POSIX shell variable name.
func shellName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// holding reports whether twin mode holds containers.
func (c Config) holding() bool {
	return c.Mode == ModeTwin && (ptr.Deref(c.Twin.Hold, false) || len(c.Twin.HoldInit) > 0)
}

// holdsInit reports whether twin mode holds the init container name.
func (c Config) holdsInit(name string) bool {
	return c.Mode == ModeTwin && slices.Contains(c.Twin.HoldInit, name)
}

// holdPlan is what the twins of this configuration hold; nil for nothing.
func (c Config) holdPlan() *HoldPlan {
	if !c.holding() {
		return nil
	}
	return &HoldPlan{Containers: ptr.Deref(c.Twin.Hold, false), Init: slices.Clone(c.Twin.HoldInit)}
}

// validateHold checks spec.twin.hold and spec.twin.holdInit.
func (c Config) validateHold(p *problems) {
	if c.Mode != ModeTwin {
		why := "holds containers in twin mode only (spec.mode: twin, --mode twin): in place, the workload itself would stop running its program"
		if ptr.Deref(c.Twin.Hold, false) {
			p.add("twin.hold", "%s", why)
		}
		if len(c.Twin.HoldInit) > 0 {
			p.add("twin.holdInit", "%s", why)
		}
	}
	seen := map[string]bool{}
	for i, name := range c.Twin.HoldInit {
		field := fmt.Sprintf("twin.holdInit[%d]", i)
		switch {
		case len(validation.IsDNS1123Label(name)) > 0:
			p.add(field, "%q is not a container name", name)
		case seen[name]:
			p.add(field, "%q is listed twice", name)
		case name == ToolsContainerName || name == CopyContainerName || name == c.Sidecar.Name:
			p.add(field, "%q is a container of the overlay's own, which is never held", name)
		}
		seen[name] = true
	}
}

// holdsInit reports whether twin mode holds an init container of the pod:
// the debug sidecar is then a native one in auto mode, which runs while
// the pod is in its Init phase, as a classic one would not.
func (a *podApply) holdsInit() bool {
	return slices.ContainsFunc(a.pod.InitContainers, func(c corev1.Container) bool { return a.o.cfg.holdsInit(c.Name) })
}
