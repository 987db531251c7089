//go:build linux

package nodee2e

import (
	"strings"
	"testing"
	"time"
)

// TestNoRegistry checks the node's promise that nothing is pulled: an image
// that was not imported fails at once, against the unreachable loopback
// registry, instead of reaching out to a real one.
func TestNoRegistry(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "no-registry", nil)
	kubectl(t, []byte(`apiVersion: v1
kind: Pod
metadata:
  name: missing
spec:
  containers:
    - name: c
      image: docker.io/library/not-imported:1
`), "-n", ns, "apply", "-f", "-")
	var msg string
	d := waitFor(t, 30*time.Second, "the pull of an image that was not imported to fail", func() (bool, string) {
		p := getPod(t, ns, "missing")
		for _, s := range p.Status.ContainerStatuses {
			if w := s.State.Waiting; w != nil && (w.Reason == "ErrImagePull" || w.Reason == "ImagePullBackOff") {
				msg = w.Message
				return true, w.Reason
			}
		}
		return false, podSummary(p)
	})
	t.Logf("not-imported image: pull failed %v after apply: %s", d.Round(time.Millisecond), msg)
	if !strings.Contains(msg, "127.0.0.1:9") {
		t.Errorf("the pull did not go to the unreachable loopback registry: %s", msg)
	}
	t.Logf("images on the node: %v", n.Images)
}
