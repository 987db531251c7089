// Package stream cuts a manifest stream into raw documents at column-0
// `---` lines (their bytes, and the preamble of comments before the YAML,
// kept exactly), holds a stream's bytes in a Spool (memory up to a bound,
// then a temporary file; ranges of another Spool by reference, so documents
// copied through unchanged are not copied again), and reads a document's
// kind and apiVersion from its column-0 lines without parsing it.
//
// All of it runs at close to memory speed on documents that are not
// workloads, such as large CustomResourceDefinitions (issue 22):
//   - a Reader reads in large blocks and walks the lines once, skipping an
//     indented line with one search for its end, to find both where a
//     document ends and what its header says (Reader.Header is what
//     ScanHeader would say);
//   - a spooling Reader (NewSpoolReader) reads straight into buffers that
//     become its Spool's memory: pass 1 copies nothing;
//   - a Spool grows by blocks, never copying what it holds, and asks for
//     transparent huge pages once a stream is large (on a virtual machine
//     a page fault per 4 KiB of fresh memory was most of the cost);
//   - Spool.Append and Spool.Bytes let a pass copy documents through by
//     reference.
package stream
