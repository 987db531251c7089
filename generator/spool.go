package generator

import (
	"fmt"
	"io"
	"os"
)

// spool holds bytes in memory up to a limit and in an unlinked-on-close
// temporary file beyond it, so a release of any size is held at a bounded
// memory cost between the two passes and until the output is known good.
type spool struct {
	mem   []byte
	file  *os.File
	size  int64
	limit int64
	dir   string
}

func newSpool(dir string, limit int64) *spool {
	return &spool{dir: dir, limit: limit}
}

func (s *spool) Write(p []byte) (int, error) {
	if s.file == nil && int64(len(s.mem)+len(p)) > s.limit {
		f, err := os.CreateTemp(s.dir, "debug-overlay-*.spool")
		if err != nil {
			return 0, fmt.Errorf("spooling to disk: %w", err)
		}
		s.file = f
		if _, err := f.Write(s.mem); err != nil {
			return 0, fmt.Errorf("spooling to disk: %w", err)
		}
		s.mem = nil
	}
	s.size += int64(len(p))
	if s.file != nil {
		return s.file.Write(p)
	}
	s.mem = append(s.mem, p...)
	return len(p), nil
}

// ReadAt reads len(p) bytes at off.
func (s *spool) ReadAt(p []byte, off int64) (int, error) {
	if s.file != nil {
		return s.file.ReadAt(p, off)
	}
	if off >= int64(len(s.mem)) {
		return 0, io.EOF
	}
	n := copy(p, s.mem[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteTo copies everything spooled to w.
func (s *spool) WriteTo(w io.Writer) (int64, error) {
	if s.file == nil {
		n, err := w.Write(s.mem)
		return int64(n), err
	}
	return io.Copy(w, io.NewSectionReader(s.file, 0, s.size))
}

// Close releases the memory and removes the temporary file.
func (s *spool) Close() error {
	s.mem = nil
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
