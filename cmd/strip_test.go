package cmd

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStripCommandUndoesTheOverlay(t *testing.T) {
	overlaid, _, err := run(t, deployment, "--enable", "--copy-volume=creds")
	if err != nil {
		t.Fatal(err)
	}
	stripped, stderr, err := run(t, overlaid, "strip")
	if err != nil {
		t.Fatal(err)
	}
	if stripped != deployment {
		t.Errorf("strip did not give back the input (-want +got):\n%s", cmp.Diff(deployment, stripped))
	}
	if !strings.Contains(stderr, "stripped the overlay from 1 pod templates") {
		t.Errorf("stderr = %q", stderr)
	}
}
