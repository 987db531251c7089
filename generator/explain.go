package generator

import (
	"fmt"
	"io"
	"strings"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// Explain writes, for people, what each workload got and how to get in.
func (r *Report) Explain(w io.Writer) error {
	var b strings.Builder
	if !r.Config.IsEnabled() {
		b.WriteString("The overlay is disabled: the stream passes through unchanged.\n")
	}
	if r.Config.IsEnabled() && r.Config.Expires != "" {
		fmt.Fprintf(&b, "Expires %s (%s), then onExpiry %s\n", r.Config.Expires, r.Config.ExpiresIn(r.Now), r.Config.OnExpiry)
	}
	if r.Config.IsEnabled() && r.Config.Reason != "" {
		fmt.Fprintf(&b, "Reason: %s\n", r.Config.Reason)
	}
	for _, wl := range r.Workloads {
		name := wl.Name
		if wl.Namespace != "" {
			name = wl.Namespace + "/" + name
		}
		fmt.Fprintf(&b, "%s %s", wl.Kind, name)
		if wl.Source != "" {
			fmt.Fprintf(&b, " (%s)", wl.Source)
		}
		b.WriteString("\n")
		if t := wl.Twin; t != nil {
			explainTwin(&b, t)
		}
		mode := "sidecar container"
		if wl.Native {
			mode = "native sidecar (init container, restartPolicy: Always)"
		}
		ch := wl.Choice
		if ch.Profile == "" {
			ch.Profile = r.Config.Sidecar.Profile // a Workload made by hand
		}
		fmt.Fprintf(&b, "  debug container %q: %s, profile %s\n", wl.Container, mode, ch)
		explainChoice(&b, ch)
		if len(wl.Mounts) > 0 {
			fmt.Fprintf(&b, "  mirrored mounts: %s\n", strings.Join(wl.Mounts, ", "))
		}
		for _, c := range wl.Copies {
			medium := "disk"
			if c.Medium != "" {
				medium = strings.ToLower(string(c.Medium))
			}
			rewire := "the app still mounts the original volume"
			if c.Rewire {
				rewire = "the app mounts the copy instead of the volume"
			}
			fmt.Fprintf(&b, "  volume %q copied as regular files into emptyDir %q (%s); %s\n", c.Volume, c.Into, medium, rewire)
			if perms := c.Perms(); perms != "" {
				fmt.Fprintf(&b, "    copies: %s\n", perms)
			}
		}
		explainTools(&b, wl, r.Config)
		if cmd := wl.ExecCommand(); cmd != "" {
			fmt.Fprintf(&b, "  shell: %s\n", cmd)
		} else {
			fmt.Fprintf(&b, "  shell: kubectl exec -it <pod> -c %s -- %s (find the pod of this %s first)\n", wl.Container, wl.Shell, wl.Kind)
		}
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "warning: %s\n", f)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// explainTwin says what a twin is and why it takes no traffic.
func explainTwin(b *strings.Builder, t *overlay.TwinPlan) {
	fmt.Fprintf(b, "  twin of %s, one pod, the original untouched; its pods are labelled %s=%s, which its selector selects\n",
		t.Of, overlay.TwinLabel, t.Name)
	for _, l := range t.Dropped {
		fmt.Fprintf(b, "  label %s=%s dropped: %s\n", l.Key, l.Value, strings.Join(l.By, ", "))
	}
	for _, l := range t.Kept {
		fmt.Fprintf(b, "  label %s=%s kept: %s\n", l.Key, l.Value, strings.Join(l.By, ", "))
	}
	if !t.KeepProbes {
		b.WriteString("  probes off, so debugging does not restart or unready it (twin.probes: true keeps them)\n")
	}
}

// explainChoice says what the profile costs and whom the debug container
// runs as.
func explainChoice(b *strings.Builder, ch overlay.Choice) {
	if cost := ch.Cost(); cost != "" {
		fmt.Fprintf(b, "  costs: %s\n", cost)
	}
	if ch.User != "" {
		fmt.Fprintf(b, "  runs as: %s\n", ch.User)
	}
}
