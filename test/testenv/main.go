package testenv

import (
	"fmt"
	"os"
	"testing"
)

// Main is the body of a test package's TestMain: it makes a temporary
// directory, passes it to setup, runs the tests and removes the directory,
// and returns the exit code for os.Exit. A setup error, printed after the
// package's name, fails the whole run: a missing tool is never a reason to
// skip.
func Main(m *testing.M, name string, setup func(tmp string) error) int {
	tmp, err := os.MkdirTemp("", "debug-overlay-"+name+"-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if err := setup(tmp); err != nil {
		fmt.Fprintf(os.Stderr, "%s: setup: %v\n", name, err)
		return 1
	}
	return m.Run()
}
