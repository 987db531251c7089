package helm4

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// teeCall is one call of the tee fixture plugin: Helm 4 ran the binary
// under test as its post-renderer with args, sent it in and got out back.
type teeCall struct {
	args    string
	in, out []byte
}

// teeRun runs Helm 4 with args and --post-renderer tee (testdata/plugins/tee),
// which runs the binary under test and keeps, for each call Helm makes, what
// Helm sent and what came back. It returns what Helm did and the calls, in
// order.
func teeRun(t *testing.T, args ...string) (testenv.Result, []teeCall) {
	t.Helper()
	capture := t.TempDir()
	cmd := helmCmd(4, append(args, "--post-renderer", "tee")...)
	cmd.Env = append(cmd.Env, "HELM4_TEST_BIN="+bin, "HELM4_TEST_CAPTURE="+capture)
	r := runner.Run(t, cmd, nil)
	lines, err := os.ReadFile(filepath.Join(capture, "calls"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var calls []teeCall
	for i, a := range strings.Split(strings.TrimSuffix(string(lines), "\n"), "\n") {
		if len(lines) == 0 {
			break
		}
		c := teeCall{args: a}
		for name, dst := range map[string]*[]byte{"in": &c.in, "out": &c.out} {
			if *dst, err = os.ReadFile(filepath.Join(capture, fmt.Sprintf("%s-%d.yaml", name, i+1))); err != nil {
				t.Fatalf("the tee plugin's call %d: %v", i+1, err)
			}
		}
		calls = append(calls, c)
	}
	return r, calls
}
