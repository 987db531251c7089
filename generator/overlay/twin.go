package overlay

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
)

// TwinClaims says what a StatefulSet's twin does with its claims.
type TwinClaims string

// The claim choices. ClaimsFresh gives the twin claims of its own, made from
// the volumeClaimTemplates and deleted with it; ClaimsReadOnly mounts the
// original's first pod's claims read only instead.
const (
	ClaimsFresh    TwinClaims = "fresh"
	ClaimsReadOnly TwinClaims = "readOnly"
)

// TwinClaimChoices lists the valid TwinClaims values.
var TwinClaimChoices = []TwinClaims{ClaimsFresh, ClaimsReadOnly}

// Twin configures twin mode.
type Twin struct {
	// Suffix names the twin: the original's name and this; default "-debug".
	Suffix string `json:"suffix,omitempty"`
	// Probes keeps the containers' probes; default false: a twin being
	// debugged should not be restarted or marked unready for it.
	Probes *bool `json:"probes,omitempty"`
	// Jobs allows twins of Jobs and CronJobs, which run the job again, side
	// effects included; default false.
	Jobs *bool `json:"jobs,omitempty"`
	// Claims: fresh (the default) or readOnly, for StatefulSets.
	Claims TwinClaims `json:"claims,omitempty"`
	// Hold keeps the twin's target containers from running their program:
	// they idle, with the tools, and the program is recorded so a person
	// can start it by hand (hold.go); default false.
	Hold *bool `json:"hold,omitempty"`
	// HoldInit names init containers of the pod to hold the same way: the
	// pod stays in its Init phase until a person releases them.
	HoldInit []string `json:"holdInit,omitempty"`
}

// TwinLabel, on a twin's pods and in its selector, holds the twin's name:
// it says the pod is a twin, and it is what the twin's controller selects.
const TwinLabel = Group + "/twin"

// TwinOfAnnotation, on a twin, names its original as KIND/NAME: a strip
// removes such objects, and a second run makes them anew.
const TwinOfAnnotation = Group + "/twin-of"

// TwinContext is what twin mode reads of the rest of a release: which labels
// the objects that select pods select on, and which objects exist.
type TwinContext struct {
	Selectors []Selector
	// Objects holds "KIND/NAMESPACE/NAME" of every object in the stream.
	Objects map[string]bool
}

// Selector is one object that selects pods by labels, and its selector.
type Selector struct {
	Kind, Name string
	Role       SelectorRole
	Selector   *metav1.LabelSelector
}

// uses reports whether the selector looks at label k with value v.
func (s Selector) uses(k, v string) bool {
	if s.Selector == nil {
		return false
	}
	if mv, ok := s.Selector.MatchLabels[k]; ok && mv == v {
		return true
	}
	return slices.ContainsFunc(s.Selector.MatchExpressions, func(r metav1.LabelSelectorRequirement) bool { return r.Key == k })
}

// matches reports whether the selector selects pods with labels.
func (s Selector) matches(labels map[string]string) bool {
	sel, err := metav1.LabelSelectorAsSelector(s.Selector)
	return err == nil && s.Selector != nil && !sel.Empty() && sel.Matches(k8slabels.Set(labels))
}

// SelectorRole is what selecting a pod does.
type SelectorRole string

// The selector roles. A pod that RoleRoute selects gets traffic (a
// Service); RoleGuard counts it (a PodDisruptionBudget); RoleOwn makes it
// another controller's (a Deployment's selector): none of these may select
// a twin. RolePolicy applies a NetworkPolicy to it and RolePeer lets it
// reach what a NetworkPolicy guards: these a twin keeps where it can.
const (
	RoleRoute  SelectorRole = "routes traffic to"
	RoleGuard  SelectorRole = "counts for disruption"
	RoleOwn    SelectorRole = "owns"
	RolePolicy SelectorRole = "applies network policy to"
	RolePeer   SelectorRole = "admits as a network peer"
)

func (r SelectorRole) served() bool { return r == RoleRoute || r == RoleGuard || r == RoleOwn }

// TwinPlan is what the twin of one workload is.
type TwinPlan struct {
	// Kind and Name are the twin's.
	Kind WorkloadKind
	Name string
	// Of is the original, KIND/NAME.
	Of string
	// Labels are the twin's pod labels; its selector is TwinLabel alone.
	Labels map[string]string
	// Dropped and Kept say which of the original's pod labels the twin
	// has not, and has, and why.
	Dropped, Kept []LabelNote
	// KeepProbes keeps the containers' probes.
	KeepProbes bool
	// Claims is what a StatefulSet's twin does with its claims.
	Claims TwinClaims
	// Notes are what people should know: a changed kind, a shared claim.
	Notes []string
	// Hold is what the twin holds (nil: nothing); Held, filled by the
	// twin's maker, the containers it held and their programs.
	Hold *HoldPlan
	Held []Held
}

// LabelNote is one pod label of the original and who selects on it.
type LabelNote struct {
	Key, Value string
	By         []string // "Service web (routes traffic to)"
}

// PlanTwin decides the twin of a selected workload of kind wk, with meta,
// whose pods carry labels, in release rel.
func (c Config) PlanTwin(wk WorkloadKind, meta Meta, labels map[string]string, rel TwinContext) (*TwinPlan, error) {
	if meta.IsHook() {
		return nil, fmt.Errorf("twin mode: %s %s is a Helm hook, which has no twin (hooks run once, at a point of the release); leave it out (targets, %s: \"false\")", meta.Kind, meta.Name, InjectAnnotation)
	}
	to, ok := Builtin(wk.Twin)
	if !ok || !slices.Contains(BuiltinKinds, wk) {
		return nil, fmt.Errorf("twin mode: %s %s has no twin: twins are made of %s", meta.Kind, meta.Name, twinnable())
	}
	if wk.Completes && !ptr.Deref(c.Twin.Jobs, false) {
		return nil, fmt.Errorf("twin mode: a twin of %s %s would run the job again, side effects included: set spec.twin.jobs: true if that is what you want, or leave it out", meta.Kind, meta.Name)
	}
	p := &TwinPlan{Kind: to, Of: meta.Kind + "/" + meta.Name,
		KeepProbes: ptr.Deref(c.Twin.Probes, false), Claims: c.Twin.Claims, Labels: map[string]string{}, Hold: c.holdPlan()}
	if wk.TwinNote != "" {
		p.Notes = append(p.Notes, wk.TwinNote)
	}
	p.Name = twinName(meta.Name, c.Twin.Suffix, to.MaxTwinName)
	if rel.Objects[to.Kind+"/"+meta.Namespace+"/"+p.Name] {
		return nil, fmt.Errorf("twin mode: the twin of %s %s would be %s %s, which the release has already; set spec.twin.suffix", meta.Kind, meta.Name, to.Kind, p.Name)
	}

	// The pod labels: none that a Service, a PodDisruptionBudget or a
	// controller selects on (the original's own selector among them), so
	// the twin takes no traffic and no other controller's pods, and counts
	// for no budget; those that NetworkPolicies select on stay, so the same
	// policies hold for the twin.
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		note := LabelNote{Key: k, Value: labels[k]}
		served := false
		for _, s := range rel.Selectors {
			if s.uses(k, labels[k]) {
				note.By = append(note.By, fmt.Sprintf("%s %s (%s)", s.Kind, s.Name, s.Role))
				served = served || s.Role.served()
			}
		}
		switch {
		case served || k == TwinLabel:
			p.Dropped = append(p.Dropped, note)
		default:
			p.Labels[k] = labels[k]
			if len(note.By) > 0 {
				p.Kept = append(p.Kept, note)
			}
		}
	}
	p.Labels[TwinLabel] = p.Name
	for _, s := range rel.Selectors {
		switch {
		case s.Role.served() && s.matches(p.Labels):
			// A selector of expressions alone (NotIn, DoesNotExist) can
			// select pods for a label they lack.
			return nil, fmt.Errorf("twin mode: %s %s %s every pod with the twin's labels %v: the twin of %s %s cannot be kept from it", s.Kind, s.Name, s.Role, p.Labels, meta.Kind, meta.Name)
		case s.Role == RolePolicy && s.matches(labels) && !s.matches(p.Labels):
			p.Notes = append(p.Notes, fmt.Sprintf("NetworkPolicy %s selects the original on labels the twin cannot keep (it would take traffic): the policy does not hold for the twin", s.Name))
		}
	}
	return p, nil
}

// twinnable lists, for messages, the kinds twins are made of.
func twinnable() string {
	var kinds, jobs []string
	for _, k := range BuiltinKinds {
		switch {
		case k.Twin == "":
		case k.Completes:
			jobs = append(jobs, k.Kind+"s")
		default:
			kinds = append(kinds, k.Kind+"s")
		}
	}
	return strings.Join(kinds, ", ") + ", and (with twin.jobs) " + strings.Join(jobs, " and ")
}

// twinName is name and suffix, shortened with a hash of the name to fit
// max.
func twinName(name, suffix string, max int) string {
	if len(name)+len(suffix) <= max {
		return name + suffix
	}
	sum := sha256.Sum256([]byte(name))
	keep := max - len(suffix) - 9
	return strings.TrimRight(name[:keep], "-.") + "-" + hex.EncodeToString(sum[:])[:8] + suffix
}
