// Package docs holds the tests that keep the documentation (README.md,
// BENCHMARKS.md and the manual in docs/) true to the code:
//
//   - the package map in docs/architecture.md names exactly the packages
//     `go list ./...` lists;
//   - the flag block in docs/configuration.md is the real flags' usage,
//     rewritten by `go test ./test/docs -run TestFlagTable -update`;
//   - every relative link in every Markdown file of the repository points
//     at a file that exists, and every `#anchor` at a heading of it, as
//     GitHub names heading anchors.
//
// They need no tool but Go, and write nothing in the repository except
// through -update. Run with `go test ./test/docs/ -v -count=1`.
package docs
