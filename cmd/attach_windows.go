package cmd

import (
	"errors"
	"io"
	"os/exec"
)

// runCompanion runs the companion with the command's streams and passes
// its exit status on (Windows has no exec).
func runCompanion(bin string, argv []string, in io.Reader, out, errOut io.Writer) error {
	c := exec.Command(bin, argv[1:]...)
	c.Stdin, c.Stdout, c.Stderr = in, out, errOut
	err := c.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return &StatusError{Code: exit.ExitCode()}
	}
	return err
}
