// Package testcorpus holds what the tests of several packages read: the
// golden cases' input streams and a generator of random Helm-like streams.
// Only tests import it.
package testcorpus
