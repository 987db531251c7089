package live

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// Workload is one workload whose pods get the debug container.
type Workload struct {
	// APIVersion and Kind say what it is; Kind.TemplatePath where its pod
	// template is.
	APIVersion string
	Kind       overlay.WorkloadKind
	Namespace  string
	Name       string
	// Selection is the configuration's selection of it.
	Selection overlay.Selection
}

// String names the workload as kubectl does: kind/name.
func (w Workload) String() string { return strings.ToLower(w.Kind.Kind) + "/" + w.Name }

// Cluster is how live mode reaches the API server.
type Cluster struct {
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	// Mapper finds the resources of custom kinds (Config.Kinds); nil:
	// only the built-in kinds.
	Mapper meta.RESTMapper
}

// resource returns the resource of a kind.
func (c *Cluster) resource(apiVersion, kind string) (schema.GroupVersionResource, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return schema.GroupVersionResource{}, err
	}
	if k, ok := overlay.Builtin(kind); ok && k.Group == gv.Group {
		return schema.GroupVersionResource{Group: k.Group, Version: k.Version, Resource: k.Resource}, nil
	}
	if c.Mapper == nil {
		return schema.GroupVersionResource{}, fmt.Errorf("kind %s of %s: no REST mapping", kind, apiVersion)
	}
	m, err := c.Mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: kind}, gv.Version)
	if err != nil {
		return schema.GroupVersionResource{}, fmt.Errorf("kind %s of %s: %w", kind, apiVersion, err)
	}
	return m.Resource, nil
}

// ParseWorkload reads a KIND/NAME argument: a kind, a kubectl short name
// or a resource name (deploy/web, statefulsets/db, rollouts.argoproj.io/x),
// looked up among the built-in kinds and the configuration's.
func (c *Cluster) ParseWorkload(arg, namespace string, kinds overlay.KindTable, extra []overlay.WorkloadKind) (Workload, error) {
	kindArg, name, ok := strings.Cut(arg, "/")
	if !ok || kindArg == "" || name == "" || strings.Contains(name, "/") {
		return Workload{}, fmt.Errorf("%q: want KIND/NAME, such as statefulset/geth", arg)
	}
	if k, ok := overlay.BuiltinByName(kindArg); ok {
		wk, _ := kinds.Lookup(k.APIVersion(), k.Kind)
		return Workload{APIVersion: k.APIVersion(), Kind: wk, Namespace: namespace, Name: name}, nil
	}
	for _, k := range extra {
		if strings.EqualFold(k.Kind, kindArg) || strings.EqualFold(k.Kind+"."+k.Group, kindArg) {
			if c.Mapper == nil {
				break
			}
			m, err := c.Mapper.RESTMapping(schema.GroupKind{Group: k.Group, Kind: k.Kind})
			if err != nil {
				return Workload{}, fmt.Errorf("%q: %w", arg, err)
			}
			return Workload{APIVersion: m.GroupVersionKind.GroupVersion().String(), Kind: k, Namespace: namespace, Name: name}, nil
		}
	}
	if c.Mapper != nil {
		if gvk, err := c.Mapper.KindFor(schema.ParseGroupResource(kindArg).WithVersion("")); err == nil {
			if wk, ok := kinds.Lookup(gvk.GroupVersion().String(), gvk.Kind); ok {
				return Workload{APIVersion: gvk.GroupVersion().String(), Kind: wk, Namespace: namespace, Name: name}, nil
			}
			return Workload{}, fmt.Errorf("%q: %s is not a pod-bearing kind (add it to the configuration's kinds)", arg, gvk.Kind)
		}
	}
	return Workload{}, fmt.Errorf("%q: unknown kind %q (built in: %s; others need the configuration's kinds)", arg, kindArg, strings.Join(builtinKinds(), ", "))
}

func builtinKinds() []string {
	var out []string
	for _, k := range overlay.BuiltinKinds {
		out = append(out, strings.ToLower(k.Kind))
	}
	slices.Sort(out)
	return out
}

// object reads a workload from the cluster.
func (c *Cluster) object(ctx context.Context, w Workload) (*unstructured.Unstructured, error) {
	r, err := c.resource(w.APIVersion, w.Kind.Kind)
	if err != nil {
		return nil, err
	}
	obj, err := c.Dynamic.Resource(r).Namespace(w.Namespace).Get(ctx, w.Name, metav1.GetOptions{})
	if err != nil {
		return nil, apiError(err, "get", resourceName(r), w.Namespace)
	}
	return obj, nil
}

// Meta reads what selection looks at from a workload in the cluster.
func (c *Cluster) Meta(ctx context.Context, w Workload) (overlay.Meta, error) {
	obj, err := c.object(ctx, w)
	if err != nil {
		return overlay.Meta{}, err
	}
	m := overlay.Meta{Kind: w.Kind.Kind, Name: w.Name, Namespace: w.Namespace, Labels: obj.GetLabels(), Annotations: obj.GetAnnotations()}
	if path := w.Kind.Path(); path != nil {
		m.TemplateAnnotations, _, _ = unstructured.NestedStringMap(obj.Object, append(path, "metadata", "annotations")...)
	}
	return m, nil
}

// Pods returns a workload's pods, sorted by name: those its selector (or,
// for kinds without one, the namespace) lists whose controller is the
// workload, or is controlled by it (a Deployment's ReplicaSet, a
// CronJob's Job, a Rollout's ReplicaSet).
func (c *Cluster) Pods(ctx context.Context, w Workload) ([]corev1.Pod, error) {
	if w.Kind.Kind == "Pod" && w.Kind.Group == "" {
		p, err := c.Client.CoreV1().Pods(w.Namespace).Get(ctx, w.Name, metav1.GetOptions{})
		if err != nil {
			return nil, apiError(err, "get", "pods", w.Namespace)
		}
		return []corev1.Pod{*p}, nil
	}
	if w.Kind.Kind == "PodTemplate" && w.Kind.Group == "" {
		return nil, nil // a template for others: no pods of its own
	}
	obj, err := c.object(ctx, w)
	if err != nil {
		return nil, err
	}
	sel, err := selector(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: spec.selector: %w", w, err)
	}
	list, err := c.Client.CoreV1().Pods(w.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, apiError(err, "list", "pods", w.Namespace)
	}
	owners := map[types.UID]*metav1.OwnerReference{} // an intermediate owner's controller
	var pods []corev1.Pod
	for _, p := range list.Items {
		ref := metav1.GetControllerOf(&p)
		if ref == nil {
			continue
		}
		if ref.UID != obj.GetUID() {
			up, ok := owners[ref.UID]
			if !ok {
				up, err = c.controllerOf(ctx, w.Namespace, ref)
				if err != nil {
					return nil, err
				}
				owners[ref.UID] = up
			}
			if up == nil || up.UID != obj.GetUID() {
				continue
			}
		}
		pods = append(pods, p)
	}
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return pods, nil
}

// controllerOf returns the controller of an owner, or nil.
func (c *Cluster) controllerOf(ctx context.Context, namespace string, ref *metav1.OwnerReference) (*metav1.OwnerReference, error) {
	r, err := c.resource(ref.APIVersion, ref.Kind)
	if err != nil {
		return nil, nil // an owner of a kind we cannot read is not one of ours
	}
	obj, err := c.Dynamic.Resource(r).Namespace(namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, apiError(err, "get", resourceName(r), namespace)
	}
	if obj.GetUID() != ref.UID {
		return nil, nil
	}
	return metav1.GetControllerOfNoCopy(obj), nil
}

// selector reads spec.selector: a label selector, a ReplicationController's
// map, or none (a CronJob): everything, left to the owner check.
func selector(obj *unstructured.Unstructured) (labels.Selector, error) {
	raw, ok, err := unstructured.NestedFieldNoCopy(obj.Object, "spec", "selector")
	if err != nil || !ok || raw == nil {
		return labels.Everything(), err
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a mapping")
	}
	_, hasLabels := m["matchLabels"]
	_, hasExprs := m["matchExpressions"]
	if !hasLabels && !hasExprs {
		set := labels.Set{}
		for k, v := range m {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("label %q is not a string", k)
			}
			set[k] = s
		}
		return labels.SelectorFromSet(set), nil
	}
	var ls metav1.LabelSelector
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &ls); err != nil {
		return nil, err
	}
	return metav1.LabelSelectorAsSelector(&ls)
}

// resourceName is a resource as RBAC names it: deployments.apps, pods.
func resourceName(r schema.GroupVersionResource) string {
	if r.Group == "" {
		return r.Resource
	}
	return r.Resource + "." + r.Group
}
