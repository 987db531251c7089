package generator

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// AllowedLabel, set to "true" on a namespace, lets the Policy admit debug
// containers there.
const AllowedLabel = overlay.Group + "/allowed"

// Policy is a ValidatingAdmissionPolicy (built into the API server, no
// webhook) for the pods our overlay touches: pods whose template carried
// the overlay (they have its status annotation) and the ephemeral
// containers that attach adds. Its zero value takes the defaults.
type Policy struct {
	// Name of the policy and its binding; default "debug-overlay".
	Name string
	// Images are the image prefixes (or name@sha256: digests) debug
	// containers may run; default the presets' images, the copy image and
	// the tools image.
	Images []string
	// Profiles are the profiles debug containers may have, auto standing
	// for those it chooses from; default all but the privileged sysadmin.
	Profiles []overlay.ProfileName
	// Containers are the names of the debug containers, besides the copy
	// init container; an ephemeral container is ours when it is named one
	// of them, or one of them and a suffix "-N". Default "debug".
	Containers []string
}

// DefaultPolicy returns the defaults of Policy.
func DefaultPolicy() Policy {
	p := Policy{Name: "debug-overlay", Containers: []string{overlay.Default().Sidecar.Name}}
	for _, name := range overlay.PresetNames() {
		if preset, _ := overlay.LookupPreset(name); preset.Image != "" {
			p.Images = append(p.Images, preset.Image)
		}
	}
	p.Images = append(p.Images, overlay.Default().Copy.Image, overlay.Default().Tools.Image)
	slices.Sort(p.Images)
	p.Images = slices.Compact(p.Images)
	for _, name := range overlay.ProfileNames() {
		if profile, _ := overlay.LookupProfile(name); !profile.Privileged() {
			p.Profiles = append(p.Profiles, name)
		}
	}
	return p
}

// YAML writes the policy and its binding as two YAML documents.
func (p Policy) YAML() ([]byte, error) {
	p = p.withDefaults()
	caps, privileged, err := profileRights(p.Profiles)
	if err != nil {
		return nil, err
	}
	policy := p.admissionPolicy(caps)
	spec := &policy.Spec
	spec.Validations = namespaceAndExpiryRules()
	for _, list := range []string{"pod", "ephemeral"} {
		vars, rules := p.containerRules(list, privileged)
		spec.Variables = append(spec.Variables, vars...)
		spec.Validations = append(spec.Validations, rules...)
	}
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Labels: policy.Labels},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        p.Name,
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
		},
	}
	var out bytes.Buffer
	out.WriteString(GeneratedHeader)
	for _, obj := range []any{policy, binding} {
		data, err := yaml.Marshal(obj)
		if err != nil {
			return nil, err
		}
		out.WriteString("---\n")
		out.Write(data)
	}
	return out.Bytes(), nil
}

// withDefaults fills what p leaves unset from DefaultPolicy.
func (p Policy) withDefaults() Policy {
	def := DefaultPolicy()
	p.Name = cmp.Or(p.Name, def.Name)
	if p.Images == nil {
		p.Images = def.Images
	}
	if p.Profiles == nil {
		p.Profiles = def.Profiles
	}
	if p.Containers == nil {
		p.Containers = def.Containers
	}
	return p
}

// admissionPolicy is the policy without its validations: which pods it
// looks at, and the variables every validation shares.
func (p Policy) admissionPolicy(caps []string) *admissionv1.ValidatingAdmissionPolicy {
	return &admissionv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Labels: map[string]string{"app.kubernetes.io/managed-by": "debug-overlay"}},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionv1.Fail),
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
					Rule: admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"},
						Resources: []string{"pods", "pods/ephemeralcontainers"}},
				},
			}}},
			// Pods without the overlay and without our ephemeral
			// containers are not the policy's business.
			MatchConditions: []admissionv1.MatchCondition{{Name: "debug-overlay", Expression: "(" + overlaid + ") || (" + oursEphemeral(p.Containers) + ").size() > 0"}},
			Variables: []admissionv1.Variable{
				{Name: "overlaid", Expression: overlaid},
				{Name: "pod", Expression: oursInPod(p.Containers)},
				{Name: "ephemeral", Expression: oursEphemeral(p.Containers)},
				{Name: "images", Expression: celList(p.Images)},
				{Name: "caps", Expression: celList(caps)},
			},
		},
	}
}

// namespaceAndExpiryRules admit debug containers only in namespaces that
// allow them, and overlaid pods only with an expiry.
func namespaceAndExpiryRules() []admissionv1.Validation {
	return []admissionv1.Validation{{
		Expression: "has(namespaceObject.metadata.labels) && '" + AllowedLabel + "' in namespaceObject.metadata.labels && namespaceObject.metadata.labels['" + AllowedLabel + "'] == 'true'",
		Message:    "debug-overlay: debug containers are admitted only in namespaces labelled " + AllowedLabel + `="true"`,
		Reason:     ptr.To(metav1.StatusReasonForbidden),
	}, {
		Expression: "!variables.overlaid || '" + overlay.ExpiresAnnotation + "' in object.metadata.annotations",
		Message:    "debug-overlay: a pod with the debug overlay needs the " + overlay.ExpiresAnnotation + " annotation: set spec.expires (--expires)",
		Reason:     ptr.To(metav1.StatusReasonForbidden),
	}}
}

// containerRules are the variables and validations for the debug
// containers of list ("pod": the overlay's, "ephemeral": attach's): the
// images, capabilities and privilege the policy allows them.
func (p Policy) containerRules(list string, privileged bool) ([]admissionv1.Variable, []admissionv1.Validation) {
	v := "variables." + list
	vars := []admissionv1.Variable{
		{Name: list + "Images", Expression: v + ".filter(c, !variables.images.exists(p, c.image.startsWith(p)))"},
		{Name: list + "Caps", Expression: v + ".filter(c, has(c.securityContext) && has(c.securityContext.capabilities) && " +
			"has(c.securityContext.capabilities.add) && !c.securityContext.capabilities.add.all(x, x in variables.caps))"},
		{Name: list + "Privileged", Expression: v + ".filter(c, has(c.securityContext) && has(c.securityContext.privileged) && c.securityContext.privileged)"},
	}
	profiles := cmp.Or(overlay.JoinNames(p.Profiles), "none")
	rules := []admissionv1.Validation{{
		Expression: v + "Images.size() == 0",
		MessageExpression: "'debug-overlay: debug container ' + " + v + "Images[0].name + ' runs image ' + " + v +
			"Images[0].image + ', which is not allowed (allowed: ' + variables.images.join(', ') + ')'",
		Reason: ptr.To(metav1.StatusReasonForbidden),
	}, {
		Expression: v + "Caps.size() == 0",
		MessageExpression: "'debug-overlay: debug container ' + " + v + "Caps[0].name + ' adds capabilities that no allowed profile adds (allowed profiles: " +
			profiles + ")'",
		Reason: ptr.To(metav1.StatusReasonForbidden),
	}}
	if !privileged {
		rules = append(rules, admissionv1.Validation{
			Expression: v + "Privileged.size() == 0",
			MessageExpression: "'debug-overlay: debug container ' + " + v + "Privileged[0].name + ' runs privileged (profile sysadmin), which is not allowed (allowed profiles: " +
				profiles + ")'",
			Reason: ptr.To(metav1.StatusReasonForbidden),
		})
	}
	return vars, rules
}

// overlaid is the CEL test for a pod whose template carried the overlay.
const overlaid = "has(object.metadata.annotations) && '" + overlay.StatusAnnotation + "' in object.metadata.annotations"

// oursInPod is the CEL list of the debug containers of an overlaid pod:
// the sidecar (classic or native), the copy and the tools init containers.
func oursInPod(names []string) string {
	all := "object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : [])"
	return "(" + overlaid + ") ? (" + all + ").filter(c, c.name in " + celList(append(slices.Clone(names), overlay.CopyContainerName, overlay.ToolsContainerName)) + ") : []"
}

// oursEphemeral is the CEL list of the ephemeral containers attach added.
func oursEphemeral(names []string) string {
	return "has(object.spec.ephemeralContainers) ? object.spec.ephemeralContainers.filter(c, " + celList(names) +
		".exists(n, c.name == n || c.name.startsWith(n + '-'))) : []"
}

// profileRights derives, from the profiles themselves, the capabilities
// they add and whether one runs privileged; auto stands for the profiles
// it chooses from.
func profileRights(names []overlay.ProfileName) (caps []string, privileged bool, err error) {
	var expanded []overlay.ProfileName
	for _, name := range names {
		if name == overlay.ProfileAuto {
			expanded = append(expanded, overlay.AutoLadder()...)
		} else {
			expanded = append(expanded, name)
		}
	}
	for _, name := range expanded {
		p, err := overlay.LookupProfile(name)
		if err != nil {
			return nil, false, err
		}
		var c corev1.Container
		p.Apply(&corev1.PodSpec{}, &c, false, 65532)
		if sc := c.SecurityContext; sc != nil && sc.Capabilities != nil {
			for _, capability := range sc.Capabilities.Add {
				caps = append(caps, string(capability))
			}
		}
		privileged = privileged || p.Privileged()
	}
	slices.Sort(caps)
	return slices.Compact(caps), privileged, nil
}

// celList writes strings as a CEL list literal.
func celList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = strconv.Quote(s) // CEL reads Go's double-quoted escapes
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// String names the policy for messages.
func (p Policy) String() string { return fmt.Sprintf("ValidatingAdmissionPolicy %s", p.Name) }
