package cmd

import (
	"errors"
	"os"
	"os/exec"
)

// runCompanion runs the companion with this process's streams and passes
// its exit status on (Windows has no exec).
func runCompanion(bin string, argv []string) error {
	c := exec.Command(bin, argv[1:]...)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := c.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return &StatusError{Code: exit.ExitCode()}
	}
	return err
}
