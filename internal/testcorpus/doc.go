// Package testcorpus holds what the tests of several packages read: the
// golden cases' input streams and a generator of random Helm-like streams,
// some of them in the form a real API server accepts as it is, with what
// their configuration selects and copies. Only tests import it.
package testcorpus
