package generator

import (
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// The KRM function types, as sigs.k8s.io/kustomize/kyaml/fn/framework
// defines them (same fields and tags), without importing framework, whose
// dependencies (k8s.io/kube-openapi/pkg/validation/strfmt, validate,
// govalidator) compile ~60 regular expressions at process start.

// Severity is a result's severity.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Result is one entry of a ResourceList's results.
type Result struct {
	Message     string                    `yaml:"message,omitempty" json:"message,omitempty"`
	Severity    Severity                  `yaml:"severity,omitempty" json:"severity,omitempty"`
	ResourceRef *kyaml.ResourceIdentifier `yaml:"resourceRef,omitempty" json:"resourceRef,omitempty"`
	File        *File                     `yaml:"file,omitempty" json:"file,omitempty"`
}

// File is where the orchestrator read a resource from.
type File struct {
	Path  string `yaml:"path,omitempty" json:"path,omitempty"`
	Index int    `yaml:"index,omitempty" json:"index,omitempty"`
}

// Results are a ResourceList's results.
type Results []*Result

// ResourceList is a KRM ResourceList.
type ResourceList struct {
	Items          []*kyaml.RNode
	FunctionConfig *kyaml.RNode
	Results        Results
}
