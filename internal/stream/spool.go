package stream

import (
	"fmt"
	"io"
	"os"
	"slices"
)

// Spool holds bytes in memory up to a limit and in an unlinked-on-close
// temporary file beyond it, so a release of any size is held at a bounded
// memory cost between the two passes and until the output is known good.
// Past the limit, writes are gathered and reads served from a window of
// SpoolBlock bytes: a system call per block, not per document.
type Spool struct {
	mem   []byte
	file  *os.File
	size  int64
	limit int64
	dir   string

	wbuf []byte // written, not yet in the file
	rbuf []byte // the file's bytes from roff on
	roff int64
}

// SpoolBlock is how much a file-backed Spool writes or reads at once.
const SpoolBlock = 256 << 10

// NewSpool returns an empty spool that keeps up to limit bytes in memory
// and the rest in a temporary file in dir (os.TempDir() when empty).
func NewSpool(dir string, limit int64) *Spool {
	return &Spool{dir: dir, limit: limit}
}

// grow makes room for n more bytes in memory at once, as far as the limit
// allows: growing by appends copies the bytes and faults in pages twice.
func (s *Spool) Grow(n int64) {
	if s.file == nil {
		s.mem = slices.Grow(s.mem, int(min(n, s.limit-int64(len(s.mem)))))
	}
}

func (s *Spool) Write(p []byte) (int, error) {
	if s.file == nil && int64(len(s.mem)+len(p)) > s.limit {
		f, err := os.CreateTemp(s.dir, "debug-overlay-*.Spool")
		if err != nil {
			return 0, fmt.Errorf("spooling to disk: %w", err)
		}
		s.file = f
		if _, err := f.Write(s.mem); err != nil {
			return 0, fmt.Errorf("spooling to disk: %w", err)
		}
		s.mem = nil
		s.wbuf = make([]byte, 0, SpoolBlock)
	}
	s.size += int64(len(p))
	if s.file == nil {
		s.mem = append(s.mem, p...)
		return len(p), nil
	}
	if len(s.wbuf)+len(p) > cap(s.wbuf) {
		if err := s.flush(); err != nil {
			return 0, err
		}
		if len(p) >= cap(s.wbuf) {
			return s.file.Write(p)
		}
	}
	s.wbuf = append(s.wbuf, p...)
	return len(p), nil
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

// ReadAt reads len(p) bytes at off.
func (s *Spool) ReadAt(p []byte, off int64) (int, error) {
	if s.file == nil {
		if off >= int64(len(s.mem)) {
			return 0, io.EOF
		}
		n := copy(p, s.mem[off:])
		if n < len(p) {
			return n, io.EOF
		}
		return n, nil
	}
	if err := s.flush(); err != nil {
		return 0, err
	}
	if off < s.roff || off+int64(len(p)) > s.roff+int64(len(s.rbuf)) {
		if len(p) > SpoolBlock {
			return s.file.ReadAt(p, off)
		}
		// Pass 2 reads in order: read ahead a block.
		if s.rbuf == nil {
			s.rbuf = make([]byte, SpoolBlock)
		}
		n, err := s.file.ReadAt(s.rbuf[:cap(s.rbuf)], off)
		if err != nil && err != io.EOF {
			return 0, err
		}
		s.rbuf, s.roff = s.rbuf[:n], off
	}
	n := copy(p, s.rbuf[off-s.roff:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteTo copies everything spooled to w.
func (s *Spool) WriteTo(w io.Writer) (int64, error) {
	if s.file == nil {
		n, err := w.Write(s.mem)
		return int64(n), err
	}
	if err := s.flush(); err != nil {
		return 0, err
	}
	return io.Copy(w, io.NewSectionReader(s.file, 0, s.size))
}

// Close releases the memory and removes the temporary file.
// Size returns how many bytes were written.
func (s *Spool) Size() int64 { return s.size }

func (s *Spool) Close() error {
	s.mem, s.wbuf, s.rbuf = nil, nil, nil
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
