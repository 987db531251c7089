package live

import (
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// PermissionError is a request the API server refused for want of a
// permission: it names what is missing, where.
type PermissionError struct {
	Verb, Resource, Namespace string
	// Why adds what the permission is for, when it is not obvious.
	Why string
	Err error
}

func (e *PermissionError) Error() string {
	where := fmt.Sprintf("in namespace %q", e.Namespace)
	if e.Namespace == "" {
		where = "cluster-wide"
	}
	s := fmt.Sprintf("missing permission: %s %s %s", e.Verb, e.Resource, where)
	if e.Why != "" {
		s += " (" + e.Why + ")"
	}
	return s + "; the API server said: " + apiMessage(e.Err)
}

func (e *PermissionError) Unwrap() error { return e.Err }

// apiError turns an API error of a request into one that names it, and a
// refusal for want of RBAC permission into a PermissionError.
func apiError(err error, verb, resource, namespace string) error {
	if err == nil {
		return nil
	}
	if apierrors.IsForbidden(err) && !isPodSecurity(err) {
		return &PermissionError{Verb: verb, Resource: resource, Namespace: namespace, Err: err}
	}
	if apierrors.IsUnauthorized(err) {
		return fmt.Errorf("%s %s in namespace %q: not logged in to the cluster (check the kubeconfig's credentials): %w", verb, resource, namespace, err)
	}
	return fmt.Errorf("%s %s in namespace %q: %w", verb, resource, namespace, err)
}

// isPodSecurity reports whether Pod Security admission refused a request.
func isPodSecurity(err error) bool {
	return apierrors.IsForbidden(err) && strings.Contains(apiMessage(err), "violates PodSecurity")
}

// apiMessage is the API server's message in an error.
func apiMessage(err error) string {
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		return st.Status().Message
	}
	return err.Error()
}
