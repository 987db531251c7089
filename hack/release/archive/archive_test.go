package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var mtime = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

// header is what a test compares of a tar or zip entry.
type header struct {
	Name     string
	Mode     int64
	Uid, Gid int
	Uname    string
	ModTime  time.Time
	Data     string
}

func TestTarGzIsReproducibleAndSorted(t *testing.T) {
	entries := []Entry{
		File("z/bin/tool", []byte("#!/bin/sh\n"), true),
		File("LICENSE", []byte("license"), false),
		Dir("tmp", fs.ModeSticky|0o777),
	}
	a, err := TarGz(entries, mtime)
	if err != nil {
		t.Fatal(err)
	}
	// The same entries in another order give the same bytes.
	b, err := TarGz([]Entry{entries[2], entries[0], entries[1]}, mtime)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the order of the entries changed the archive")
	}
	gz, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() {
		t.Errorf("gzip header names %q, time %v; want neither", gz.Name, gz.ModTime)
	}
	var got []header
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		got = append(got, header{h.Name, h.Mode, h.Uid, h.Gid, h.Uname, h.ModTime.UTC(), string(data)})
	}
	want := []header{
		{"LICENSE", 0o644, 0, 0, "", mtime, "license"},
		{"tmp/", 0o1777, 0, 0, "", mtime, ""},
		{"z/", 0o755, 0, 0, "", mtime, ""},
		{"z/bin/", 0o755, 0, 0, "", mtime, ""},
		{"z/bin/tool", 0o755, 0, 0, "", mtime, "#!/bin/sh\n"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestZip(t *testing.T) {
	entries := []Entry{File("tool.exe", []byte("MZ"), true), File("LICENSE", []byte("license"), false)}
	a, err := Zip(entries, mtime)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Zip([]Entry{entries[1], entries[0]}, mtime)
	if !bytes.Equal(a, b) {
		t.Error("the order of the entries changed the archive")
	}
	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	var got []header
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		got = append(got, header{Name: f.Name, Mode: int64(f.Mode()), ModTime: f.Modified.UTC(), Data: string(data)})
	}
	want := []header{
		{Name: "LICENSE", Mode: 0o644, ModTime: mtime, Data: "license"},
		{Name: "tool.exe", Mode: 0o755, ModTime: mtime, Data: "MZ"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}
