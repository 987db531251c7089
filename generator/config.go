package generator

import (
	"fmt"

	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// ParseDebugOverlay decodes a DebugOverlay object strictly: unknown fields,
// a wrong apiVersion or kind are errors. source names where it came from.
func ParseDebugOverlay(data []byte, source string) (*overlay.DebugOverlay, error) {
	var obj overlay.DebugOverlay
	if err := yaml.UnmarshalStrict(data, &obj); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if obj.APIVersion != overlay.APIVersion || obj.Kind != overlay.Kind {
		return nil, fmt.Errorf("%s: want apiVersion %s and kind %s, got %q and %q",
			source, overlay.APIVersion, overlay.Kind, obj.APIVersion, obj.Kind)
	}
	return &obj, nil
}

// CheckDebugOverlay decodes a DebugOverlay object like ParseDebugOverlay but
// reports every problem, not the first: each unknown or duplicate field, and
// a wrong apiVersion or kind. It still returns the object when it could be
// decoded leniently, so the rest of it can be checked too; nil means it
// could not be decoded at all.
func CheckDebugOverlay(data []byte, source string) (*overlay.DebugOverlay, []error) {
	obj, err := ParseDebugOverlay(data, source)
	if err == nil {
		return obj, nil
	}
	// ParseDebugOverlay stops at the first unknown field; sigs.k8s.io/json
	// lists them all, with their paths.
	j, jerr := yaml.YAMLToJSON(data)
	if jerr != nil {
		return nil, []error{err}
	}
	var lenient overlay.DebugOverlay
	strict, derr := kjson.UnmarshalStrict(j, &lenient, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if derr != nil {
		return nil, []error{err}
	}
	var errs []error
	for _, s := range strict {
		errs = append(errs, fmt.Errorf("%s: %w", source, s))
	}
	if lenient.APIVersion != overlay.APIVersion || lenient.Kind != overlay.Kind {
		errs = append(errs, fmt.Errorf("%s: want apiVersion %s and kind %s, got %q and %q",
			source, overlay.APIVersion, overlay.Kind, lenient.APIVersion, lenient.Kind))
	}
	if len(errs) == 0 {
		// Something only the case-insensitive strict decoder minds.
		errs = append(errs, err)
	}
	return &lenient, errs
}
