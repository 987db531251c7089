package live

import (
	"context"
	"errors"
	"io"
	"os"

	"golang.org/x/term"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
)

// Exec runs command in a container of a pod, as `kubectl exec` does:
// stdin (nil: none) and, with tty, a terminal in raw mode that follows
// the window's size. It returns the command's exit status (0 on success)
// or an error when it could not run it.
func (c *Cluster) Exec(ctx context.Context, config *rest.Config, namespace, pod, container string, command []string,
	stdin io.Reader, stdout, stderr io.Writer, tty bool) (int, error) {
	req := c.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: container,
			Command:   command,
			Stdin:     stdin != nil,
			Stdout:    true,
			Stderr:    !tty, // a terminal has one stream
			TTY:       tty,
		}, scheme.ParameterCodec)
	ws, err := remotecommand.NewWebSocketExecutor(config, "GET", req.URL().String())
	if err != nil {
		return 0, err
	}
	spdy, err := remotecommand.NewSPDYExecutor(config, "POST", req.URL())
	if err != nil {
		return 0, err
	}
	exec, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return 0, err
	}
	opts := remotecommand.StreamOptions{Stdin: stdin, Stdout: stdout, Stderr: stderr, Tty: tty}
	if tty {
		if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			state, err := term.MakeRaw(int(f.Fd()))
			if err != nil {
				return 0, err
			}
			defer term.Restore(int(f.Fd()), state)
			opts.TerminalSizeQueue = newSizeQueue(ctx, int(f.Fd()))
		}
	}
	err = exec.StreamWithContext(ctx, opts)
	var exit utilexec.CodeExitError
	if errors.As(err, &exit) {
		return exit.ExitStatus(), nil
	}
	if err != nil {
		return 0, err
	}
	return 0, nil
}
