package generator

import (
	"strings"
	"time"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// Every entry point (Render, Check, the KRM function, ListWorkloads and
// live mode) makes its configuration here: layers merged over the
// defaults, validated, and then judged against a clock.

// Resolve merges layers over overlay.Default(), lowest first, and validates
// the result. It returns the merged configuration even when it is invalid
// (Check reports on it); the error is then a *ConfigError with every
// problem.
func Resolve(layers ...overlay.Config) (overlay.Config, error) {
	cfg := overlay.Default()
	for _, l := range layers {
		cfg = cfg.Merge(l)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &ConfigError{Problems: Unjoin(err)}
	}
	return cfg, nil
}

// ConfigError is an invalid configuration: every problem Validate found,
// each naming its field.
type ConfigError struct {
	Problems []error
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("invalid configuration:")
	for _, p := range e.Problems {
		b.WriteString("\n" + p.Error())
	}
	return b.String()
}

// Unwrap gives the problems, so that Unjoin and errors.Is see each.
func (e *ConfigError) Unwrap() []error { return e.Problems }

// Clock says what time it is, for spec.expires; nil means time.Now. Tests
// set one, so that renders stay reproducible.
type Clock func() time.Time

// Now returns the time.
func (c Clock) Now() time.Time {
	if c == nil {
		return time.Now()
	}
	return c()
}

// activation is what a valid configuration does at a given time.
type activation struct {
	// active: the overlay is enabled and not expired with onExpiry strip.
	active bool
	// warning tells of an expiry that onExpiry strip or warn let pass.
	warning string
}

// activate judges cfg at now: a disabled overlay does nothing; an expired
// one fails (onExpiry fail), is left out (strip) or goes on (warn).
func activate(cfg overlay.Config, now time.Time) (activation, error) {
	if !cfg.IsEnabled() {
		return activation{}, nil
	}
	skip, warning, err := cfg.Expiry(now)
	if err != nil {
		return activation{}, err
	}
	return activation{active: !skip, warning: warning}, nil
}

// Unjoin flattens an error made by errors.Join (at any depth) into its
// parts; nil gives nil, any other error itself.
func Unjoin(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, Unjoin(e)...)
	}
	return out
}
