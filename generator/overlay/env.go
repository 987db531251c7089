package overlay

import (
	"fmt"
	"regexp"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// varRef matches the $(NAME) references kubelet expands in subPathExpr.
var varRef = regexp.MustCompile(`\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)`)

// expansionEnv returns the environment variables that the mirrored
// subPathExpr mounts of the named containers (all when names is empty)
// refer to: without them kubelet would expand the expression in the sidecar
// to another directory than the app's. The first container to define a
// name wins; a later, different definition is noted.
func expansionEnv(pod *corev1.PodSpec, names []string) ([]corev1.EnvVar, []string) {
	var env []corev1.EnvVar
	var notes []string
	for _, c := range targets(pod, names) {
		for _, m := range c.VolumeMounts {
			for _, ref := range varRef.FindAllStringSubmatch(m.SubPathExpr, -1) {
				i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == ref[1] })
				if i < 0 {
					continue
				}
				j := slices.IndexFunc(env, func(e corev1.EnvVar) bool { return e.Name == ref[1] })
				switch {
				case j < 0:
					env = append(env, c.Env[i])
				case !envEqual(env[j], c.Env[i]):
					notes = append(notes, fmt.Sprintf("containers define $(%s) differently for their subPathExpr mounts: the sidecar uses the first definition", ref[1]))
				}
			}
		}
	}
	return env, notes
}

func envEqual(a, b corev1.EnvVar) bool {
	return a.Name == b.Name && a.Value == b.Value && fmt.Sprint(a.ValueFrom) == fmt.Sprint(b.ValueFrom)
}
