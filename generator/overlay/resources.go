package overlay

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// fitResources adapts the resources of a container the overlay adds to the
// pod it joins, and returns a note when it changed them:
//   - with pod-level resources (spec.resources), containers share the pod's
//     budget, and the API server refuses a pod whose containers ask for more
//     than it: the added container gets no resources of its own;
//   - a Guaranteed pod would drop to Burstable (and be evicted earlier) with
//     a container whose requests differ from its limits: its requests are
//     raised to its limits.
func fitResources(pod *corev1.PodSpec, c *corev1.Container) string {
	switch {
	case pod.Resources != nil:
		if len(c.Resources.Requests) == 0 && len(c.Resources.Limits) == 0 {
			return ""
		}
		c.Resources = corev1.ResourceRequirements{}
		return "the pod sets pod-level resources: container " + c.Name + " shares them instead of asking for its own"
	case isGuaranteed(pod) && len(c.Resources.Limits) > 0:
		c.Resources.Requests = c.Resources.Limits.DeepCopy()
		return "the pod is Guaranteed: container " + c.Name + " requests its limits, so the pod stays Guaranteed"
	}
	return ""
}

// isGuaranteed reports whether a pod has the Guaranteed QoS class: every
// container and init container limits CPU and memory, and requests (which
// default to the limits) equal the limits.
func isGuaranteed(pod *corev1.PodSpec) bool {
	n := 0
	for _, list := range [][]corev1.Container{pod.InitContainers, pod.Containers} {
		for _, c := range list {
			n++
			for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				limit, ok := c.Resources.Limits[name]
				if !ok {
					return false
				}
				if req, ok := c.Resources.Requests[name]; ok && req.Cmp(limit) != 0 {
					return false
				}
			}
		}
	}
	return n > 0
}

// helperResources are the requests and limits of the init containers that
// serve the debug container (copies, tools): small, so ResourceQuotas and
// LimitRanges admit the pod.
func helperResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("10m"),
			corev1.ResourceMemory: resource.MustParse("16Mi"),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("100m"),
			corev1.ResourceMemory: resource.MustParse("64Mi"),
		},
	}
}
