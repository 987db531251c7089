//go:build !linux

package stream

// bigBuffer returns an empty buffer of capacity n or more.
func bigBuffer(n int) []byte { return make([]byte, 0, n) }
