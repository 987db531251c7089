package stream

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
)

// Spool holds bytes in memory up to a limit and in an unlinked-on-close
// temporary file beyond it, so a release of any size is held at a bounded
// memory cost between the two passes and until the output is known good.
//
// In memory the bytes sit in blocks (from 256 KiB up to 2 MiB when
// written, or the buffers a spooling Reader hands over), so a growing
// Spool never copies what it holds. Past the limit, writes are gathered
// and reads served from a window of SpoolBlock bytes: a system call per
// block, not per document.
//
// A Spool can also hold ranges of another Spool by reference (Append): a
// document copied through unchanged is then neither copied nor counted
// against the limit a second time.
type Spool struct {
	blocks [][]byte // in memory: full blocks, then the one being filled
	starts []int64  // where each block starts among the own bytes
	file   *os.File
	own    int64 // bytes held in blocks or the file
	size   int64 // own bytes and referenced ones
	limit  int64
	dir    string

	wbuf []byte // written, not yet in the file
	rbuf []byte // the file's bytes from roff on
	roff int64

	// segs says where each byte comes from, once a range was appended by
	// reference; empty while the Spool holds only its own bytes.
	segs []segment
}

// segment is a run of a Spool's bytes starting at offset at: its own bytes
// from offset from on, or src's.
type segment struct {
	at, from, n int64
	src         *Spool // nil: the Spool's own bytes
}

// SpoolBlock is how much a file-backed Spool writes or reads at once.
const SpoolBlock = 256 << 10

// memoryBlock is the size the blocks of memory Write fills grow to (see
// bigBuffer).
const memoryBlock = 2 << 20

// NewSpool returns an empty spool that keeps up to limit bytes in memory
// and the rest in a temporary file in dir (os.TempDir() when empty).
func NewSpool(dir string, limit int64) *Spool {
	return &Spool{dir: dir, limit: limit}
}

// Size returns how many bytes the Spool holds.
func (s *Spool) Size() int64 { return s.size }

// Write adds p at the end.
func (s *Spool) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if s.file == nil && s.own+int64(len(p)) > s.limit {
		if err := s.toFile(); err != nil {
			return 0, err
		}
	}
	if s.file == nil {
		for rest := p; len(rest) > 0; {
			last := len(s.blocks) - 1
			if last < 0 || len(s.blocks[last]) == cap(s.blocks[last]) {
				// 256 KiB, then twice as much each time up to 2 MiB: small
				// streams stay in ordinary pages, large ones get huge ones.
				size := SpoolBlock
				if last >= 0 {
					size = min(2*cap(s.blocks[last]), memoryBlock)
				}
				b := bigBuffer(size)
				s.addBlock(b, s.own+int64(len(p)-len(rest)))
				last++
			}
			b := &s.blocks[last]
			n := min(len(rest), cap(*b)-len(*b))
			*b = append(*b, rest[:n]...)
			rest = rest[n:]
		}
	} else if err := s.writeFile(p); err != nil {
		return 0, err
	}
	s.grew(int64(len(p)))
	return len(p), nil
}

// addBlock adds a block of memory, holding what it holds from own offset
// start on.
func (s *Spool) addBlock(b []byte, start int64) {
	s.blocks = append(s.blocks, b)
	s.starts = append(s.starts, start)
}

// grew counts n more own bytes at the end.
func (s *Spool) grew(n int64) {
	if len(s.segs) > 0 {
		if last := &s.segs[len(s.segs)-1]; last.src == nil {
			last.n += n
		} else {
			s.segs = append(s.segs, segment{at: s.size, from: s.own, n: n})
		}
	}
	s.size += n
	s.own += n
}

// writeFile writes p to the file, gathering small writes.
func (s *Spool) writeFile(p []byte) error {
	if len(s.wbuf)+len(p) > cap(s.wbuf) {
		if err := s.flush(); err != nil {
			return err
		}
		if len(p) >= cap(s.wbuf) {
			if _, err := s.file.Write(p); err != nil {
				return fmt.Errorf("spooling to disk: %w", err)
			}
			return nil
		}
	}
	s.wbuf = append(s.wbuf, p...)
	return nil
}

// adopt adds b at the end, keeping b itself as a block of memory while the
// limit allows (kept: the caller must not change b again), else writing it
// to the file.
func (s *Spool) adopt(b []byte) (kept bool, err error) {
	if len(b) == 0 {
		return false, nil
	}
	if s.file == nil && s.own+int64(len(b)) > s.limit {
		if err := s.toFile(); err != nil {
			return false, err
		}
	}
	if s.file == nil {
		s.addBlock(b[:len(b):len(b)], s.own)
		kept = true
	} else if err := s.writeFile(b); err != nil {
		return false, err
	}
	s.grew(int64(len(b)))
	return kept, nil
}

// toFile moves the bytes held in memory to a new temporary file.
func (s *Spool) toFile() error {
	f, err := os.CreateTemp(s.dir, "debug-overlay-*.Spool")
	if err != nil {
		return fmt.Errorf("spooling to disk: %w", err)
	}
	s.file = f
	for _, b := range s.blocks {
		if _, err := f.Write(b); err != nil {
			return fmt.Errorf("spooling to disk: %w", err)
		}
	}
	s.wbuf = make([]byte, 0, SpoolBlock)
	s.blocks, s.starts = nil, nil
	return nil
}

// Append adds src's n bytes from off on, by reference: they are read from
// src when s is read or written out, so src must stay open until then. A
// Spool never changes what it holds, so the bytes stay the same.
func (s *Spool) Append(src *Spool, off, n int64) error {
	if off < 0 || n < 0 || off+n > src.size {
		return fmt.Errorf("spool: range %d+%d outside the %d bytes held", off, n, src.size)
	}
	if n == 0 {
		return nil
	}
	if len(s.segs) == 0 && s.size > 0 {
		s.segs = append(s.segs, segment{at: 0, from: 0, n: s.size})
	}
	if last := len(s.segs) - 1; last >= 0 && s.segs[last].src == src && s.segs[last].from+s.segs[last].n == off {
		s.segs[last].n += n // the next document of a run copied through
	} else {
		s.segs = append(s.segs, segment{at: s.size, from: off, n: n, src: src})
	}
	s.size += n
	return nil
}

// flush writes the gathered bytes to the file.
func (s *Spool) flush() error {
	if len(s.wbuf) == 0 {
		return nil
	}
	_, err := s.file.Write(s.wbuf)
	s.wbuf = s.wbuf[:0]
	if err != nil {
		return fmt.Errorf("spooling to disk: %w", err)
	}
	return nil
}

// Bytes returns the n bytes at off without copying them, when they lie in
// one block of memory (as every document a spooling Reader read does,
// while its Spool is within its limit); ok is false otherwise, and the
// caller reads them with ReadAt. The bytes are the Spool's own: they must
// not be changed, and the slice's capacity ends with them, so that an
// append copies. They stay valid until the Spool is closed.
func (s *Spool) Bytes(off, n int64) (b []byte, ok bool) {
	if len(s.segs) > 0 || s.file != nil || off < 0 || n <= 0 || off+n > s.own {
		return nil, false
	}
	i := s.block(off)
	from := off - s.starts[i]
	if from+n > int64(len(s.blocks[i])) {
		return nil, false
	}
	return s.blocks[i][from : from+n : from+n], true
}

// ReadAt reads len(p) bytes at off.
func (s *Spool) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("spool: negative offset")
	}
	if off >= s.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want := len(p)
	p = p[:min(int64(len(p)), s.size-off)]
	got := len(p)
	if err := s.each(off, int64(len(p)), func(src *Spool, from int64, n int) error {
		b, err := src.ownBytes(from, n)
		p = p[copy(p, b):]
		return err
	}); err != nil {
		return 0, err
	}
	if got < want {
		return got, io.EOF
	}
	return got, nil
}

// each calls fn for every run of own bytes of a Spool (s or another one
// that s refers to) that make up s's n bytes at off, in order.
func (s *Spool) each(off, n int64, fn func(src *Spool, from int64, n int) error) error {
	if len(s.segs) == 0 {
		return s.eachOwn(off, n, fn)
	}
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].at+s.segs[i].n > off })
	for ; n > 0 && i < len(s.segs); i++ {
		sg := s.segs[i]
		skip := off - sg.at
		m := min(n, sg.n-skip)
		var err error
		if sg.src == nil {
			err = s.eachOwn(sg.from+skip, m, fn)
		} else {
			err = sg.src.each(sg.from+skip, m, fn)
		}
		if err != nil {
			return err
		}
		off, n = off+m, n-m
	}
	return nil
}

// eachOwn calls fn for s's own n bytes at own offset off, in pieces: in
// memory each within a block, in the file of at most SpoolBlock bytes.
func (s *Spool) eachOwn(off, n int64, fn func(src *Spool, from int64, n int) error) error {
	for n > 0 {
		m := min(n, SpoolBlock)
		if s.file == nil {
			i := s.block(off)
			if i < 0 || off >= s.starts[i]+int64(len(s.blocks[i])) {
				return fmt.Errorf("spool: offset %d outside the %d bytes held", off, s.own)
			}
			m = min(n, s.starts[i]+int64(len(s.blocks[i]))-off)
		}
		if err := fn(s, off, int(m)); err != nil {
			return err
		}
		off, n = off+m, n-m
	}
	return nil
}

// block returns the index of the block of memory holding own offset off.
func (s *Spool) block(off int64) int {
	i, found := slices.BinarySearch(s.starts, off)
	if !found {
		i--
	}
	return i
}

// ownBytes returns s's own n bytes at own offset off, which eachOwn made
// sure are in one block in memory, or at most SpoolBlock in the file. The
// slice is valid until the next read.
func (s *Spool) ownBytes(off int64, n int) ([]byte, error) {
	if s.file == nil {
		i := s.block(off)
		return s.blocks[i][off-s.starts[i]:][:n], nil
	}
	if err := s.flush(); err != nil {
		return nil, err
	}
	if off < s.roff || off+int64(n) > s.roff+int64(len(s.rbuf)) {
		// Pass 2 reads in order: read ahead a block.
		if s.rbuf == nil {
			s.rbuf = make([]byte, SpoolBlock)
		}
		m, err := s.file.ReadAt(s.rbuf[:cap(s.rbuf)], off)
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("reading spool: %w", err)
		}
		s.rbuf, s.roff = s.rbuf[:m], off
		if m < n {
			return nil, fmt.Errorf("reading spool: %w", io.ErrUnexpectedEOF)
		}
	}
	return s.rbuf[off-s.roff:][:n], nil
}

// WriteTo copies everything spooled to w.
func (s *Spool) WriteTo(w io.Writer) (int64, error) {
	var written int64
	err := s.each(0, s.size, func(src *Spool, from int64, n int) error {
		p, err := src.ownBytes(from, n)
		if err != nil {
			return err
		}
		m, err := w.Write(p)
		written += int64(m)
		return err
	})
	return written, err
}

// Close releases the memory and removes the temporary file.
func (s *Spool) Close() error {
	s.blocks, s.starts, s.wbuf, s.rbuf, s.segs = nil, nil, nil, nil, nil
	if s.file == nil {
		return nil
	}
	name := s.file.Name()
	err := s.file.Close()
	if rmErr := os.Remove(name); err == nil {
		err = rmErr
	}
	s.file = nil
	return err
}
