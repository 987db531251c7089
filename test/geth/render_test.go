package geth

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// release is the release name of every render; the geth chart names its
// StatefulSet, Service and Secret after it.
const release = "geth"

// podTemplateKinds are the kinds whose pod template is at spec.template.
var podTemplateKinds = []string{"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

// rendering is what a pod of the rendered chart needs from the manifests.
type rendering struct {
	// workload names the one pod-bearing object, "Kind/name".
	workload string
	pod      corev1.PodSpec
	// secrets and configMaps are the rendered objects by name; the pod's
	// volumes take their data from here, as kubelet takes it from the API.
	secrets    map[string]corev1.Secret
	configMaps map[string]corev1.ConfigMap
}

// render renders the geth chart through the real Helm 3 with the
// debug-overlay binary as post-renderer and parses the result.
func render(t *testing.T, args ...string) rendering {
	t.Helper()
	args = append([]string{"template", release, gethChart, "--post-renderer", overlayBin}, args...)
	cmd := exec.Command(helm3, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm3 %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	t.Logf("$ helm3 %s  # %d bytes", strings.Join(args, " "), stdout.Len())
	r, err := parseRendering(stdout.Bytes())
	if err != nil {
		t.Fatalf("reading the rendered chart: %v\n%s", err, stdout.Bytes())
	}
	return r
}

// parseRendering finds the single pod template and the Secrets and
// ConfigMaps in a rendered stream.
func parseRendering(stream []byte) (rendering, error) {
	r := rendering{secrets: map[string]corev1.Secret{}, configMaps: map[string]corev1.ConfigMap{}}
	var workloads []string
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return r, fmt.Errorf("splitting documents: %w", err)
		}
		var head struct {
			metav1.TypeMeta `json:",inline"`
			Metadata        metav1.ObjectMeta `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return r, fmt.Errorf("reading a document: %w", err)
		}
		id := head.Kind + "/" + head.Metadata.Name
		switch {
		case head.Kind == "":
			continue // empty or comment-only document
		case head.Kind == "Secret":
			var s corev1.Secret
			if err := yaml.UnmarshalStrict(doc, &s); err != nil {
				return r, fmt.Errorf("reading %s: %w", id, err)
			}
			r.secrets[s.Name] = s
		case head.Kind == "ConfigMap":
			var c corev1.ConfigMap
			if err := yaml.UnmarshalStrict(doc, &c); err != nil {
				return r, fmt.Errorf("reading %s: %w", id, err)
			}
			r.configMaps[c.Name] = c
		case slices.Contains(podTemplateKinds, head.Kind):
			var w struct {
				Spec struct {
					Template corev1.PodTemplateSpec `json:"template"`
				} `json:"spec"`
			}
			if err := yaml.Unmarshal(doc, &w); err != nil {
				return r, fmt.Errorf("reading %s: %w", id, err)
			}
			r.workload, r.pod = id, w.Spec.Template.Spec
			workloads = append(workloads, id)
		}
	}
	if len(workloads) != 1 {
		return r, fmt.Errorf("want exactly one pod-bearing workload (%s), got %d: %v", strings.Join(podTemplateKinds, ", "), len(workloads), workloads)
	}
	return r, nil
}

// container returns the pod's regular or init container called name.
func (r rendering) container(name string) (corev1.Container, bool) {
	for _, c := range slices.Concat(r.pod.InitContainers, r.pod.Containers) {
		if c.Name == name {
			return c, true
		}
	}
	return corev1.Container{}, false
}

// longRunning returns the names of the containers that run for the pod's
// life: the regular ones and the native sidecars (restartable init
// containers).
func (r rendering) longRunning() []string {
	var names []string
	for _, c := range r.pod.InitContainers {
		if restartable(c) {
			names = append(names, c.Name)
		}
	}
	for _, c := range r.pod.Containers {
		names = append(names, c.Name)
	}
	return names
}

// restartable says whether an init container is a native sidecar, which
// kubelet starts and then moves on from without waiting for it to exit.
func restartable(c corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}
