package generator

import (
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/podcheck"
	"k8s.io/utils/ptr"
)

// TestRestrictedProfileRender checks every container the overlay adds under
// the restricted profile against Pod Security "restricted", and the user it
// picks: the pod's, a target container's, or the configured default.
func TestRestrictedProfileRender(t *testing.T) {
	pod := func(podSC, containerSC string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n" + podSC +
			"  containers:\n    - name: app\n      image: app\n" + containerSC +
			"      volumeMounts:\n        - {name: keys, mountPath: /keys}\n" +
			"  volumes:\n    - {name: keys, secret: {secretName: keys}}\n"
	}
	tests := []struct {
		name    string
		input   string
		wantUID int64
	}{
		{name: "default user", input: pod("", ""), wantUID: 65532},
		{name: "pod user", input: pod("  securityContext:\n    runAsUser: 1000\n", ""), wantUID: 1000},
		{name: "container user", input: pod("", "      securityContext:\n        runAsUser: 2000\n"), wantUID: 2000},
		{name: "root pod user is not used", input: pod("  securityContext:\n    runAsUser: 0\n", ""), wantUID: 65532},
	}
	cfg := overlay.Config{Enabled: ptr.To(true), Sidecar: overlay.Sidecar{Profile: overlay.ProfileRestricted}, Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: "keys"}}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := render(cfg, []byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			pods := overlaidPodSpecs(out, nil)
			if len(pods) != 1 || pods[0].err != nil {
				t.Fatalf("want one overlaid pod, got %+v", pods)
			}
			added := 0
			for _, c := range append(pods[0].spec.InitContainers, pods[0].spec.Containers...) {
				if c.Name == "app" {
					continue
				}
				added++
				if p := podcheck.RestrictedProblems(c); len(p) > 0 {
					t.Errorf("container %q: %s", c.Name, strings.Join(p, ", "))
				}
				if sc := c.SecurityContext; sc != nil && sc.RunAsUser != nil && *sc.RunAsUser != tt.wantUID {
					t.Errorf("container %q runs as %d, want %d", c.Name, *sc.RunAsUser, tt.wantUID)
				}
			}
			if added != 2 {
				t.Errorf("%d containers added, want the sidecar and the copy container", added)
			}
		})
	}
}
