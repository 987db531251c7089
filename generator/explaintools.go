package generator

import (
	"fmt"
	"strings"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// explainTools says, for a workload, where the injected tools are, how to
// get a shell in the app's containers through them, and, for a twin that
// holds containers, how to run each held program by hand and release a
// held init container (issue 26).
func explainTools(b *strings.Builder, wl overlay.Overlaid, cfg overlay.Config) {
	if len(wl.Tools) == 0 {
		return
	}
	where, ok := wl.ExecTarget()
	fmt.Fprintf(b, "  tools: a static busybox (%s) read only at %s of %s, with its applets; PATH is the app's: the shell below puts them first for itself only\n",
		cfg.Tools.Image, overlay.ToolsPath, strings.Join(wl.Tools, ", "))
	if !ok {
		fmt.Fprintf(b, "  (find the pod of this %s first: it is <pod> below)\n", wl.Kind)
	}
	held := map[string]overlay.Held{}
	if wl.Twin != nil {
		for _, h := range wl.Twin.Held {
			held[h.Container] = h
		}
	}
	for _, c := range wl.Tools {
		h, isHeld := held[c]
		if !isHeld {
			fmt.Fprintf(b, "  shell in %s itself: %s\n", c, overlay.ToolsExecLine(where, c))
			continue
		}
		what := "container"
		if h.Init {
			what = "init container"
		}
		fmt.Fprintf(b, "  held %s %s: its program does not run, the container idles (no probes, no lifecycle hooks)", what, c)
		if h.Init {
			b.WriteString("; the pod stays in its Init phase until it is released")
			if wl.Native {
				b.WriteString(", and the debug container is a native sidecar, which runs then")
			}
		}
		b.WriteString("\n")
		switch {
		case h.EntrypointUnknown() && len(h.Args) == 0:
			b.WriteString("    program: unknown: the manifest sets neither command nor args, so the image's entrypoint and cmd run (see the image's configuration)\n")
		case h.EntrypointUnknown():
			fmt.Fprintf(b, "    program: unknown: the manifest sets no command, so the image's entrypoint runs (see the image's configuration), with args %q\n", h.Args)
		}
		fmt.Fprintf(b, "    shell: %s\n", overlay.ToolsExecLine(where, c))
		fmt.Fprintf(b, "    run it by hand there: eval \"$%s\", which is: %s\n", overlay.HoldEnv, h.Run)
		if h.Init {
			fmt.Fprintf(b, "    release it, so the pod goes on: kubectl exec %s -c %s -- %s/touch %s\n", where, c, overlay.ToolsPath, overlay.ReleaseFile(c))
		}
	}
}
