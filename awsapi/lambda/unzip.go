package lambdaapi

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ferry-run/ferry"
)

// maxUnzippedBytes is Lambda's limit on a function's unpacked code.
const maxUnzippedBytes = 262144000

// unpackZip extracts the zip archive b into dir, which must not exist yet.
// Entries that would land outside dir (absolute names, "..", symlinks
// pointing out) are refused; file modes are kept.
func unpackZip(b []byte, dir string) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return ferry.Errorf(ferry.EINVALID, "Could not unzip uploaded file. Please check your file, then try to upload again: %v", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("create code directory: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("open code directory: %w", err)
	}
	defer root.Close()
	budget := int64(maxUnzippedBytes)
	for _, f := range zr.File {
		if err := extract(root, f, &budget); err != nil {
			return err
		}
	}
	return nil
}

// entryName returns the local, slash-separated path of a zip entry.
func entryName(name string) (string, error) {
	n := strings.ReplaceAll(name, `\`, "/")
	isDir := strings.HasSuffix(n, "/")
	n = strings.TrimSuffix(n, "/")
	if n == "" || strings.HasPrefix(n, "/") || strings.ContainsRune(n, 0) || !filepath.IsLocal(n) {
		return "", ferry.Errorf(ferry.EINVALID, "Could not unzip uploaded file: entry %q is outside the function's directory", name)
	}
	n = path.Clean(n)
	if isDir {
		n += "/"
	}
	return n, nil
}

func extract(root *os.Root, f *zip.File, budget *int64) error {
	name, err := entryName(f.Name)
	if err != nil {
		return err
	}
	mode := f.Mode()
	if strings.HasSuffix(name, "/") || mode.IsDir() {
		if err := root.MkdirAll(strings.TrimSuffix(name, "/"), 0o755); err != nil {
			return ferry.Errorf(ferry.EINVALID, "Could not unzip uploaded file: directory %q: %v", f.Name, err)
		}
		return nil
	}
	if d := path.Dir(name); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return ferry.Errorf(ferry.EINVALID, "Could not unzip uploaded file: directory for %q: %v", f.Name, err)
		}
	}
	rc, err := f.Open()
	if err != nil {
		return ferry.Errorf(ferry.EINVALID, "Could not unzip uploaded file: %q: %v", f.Name, err)
	}
	defer rc.Close()
	if mode&fs.ModeSymlink != 0 {
		target, err := io.ReadAll(io.LimitReader(rc, 4096))
		if err != nil {
			return ferry.Errorf(ferry.EINVALID, "Could not unzip uploaded file: symlink %q: %v", f.Name, err)
		}
		t := string(target)
		if t == "" || filepath.IsAbs(t) || !filepath.IsLocal(path.Join(path.Dir(name), t)) {
			return ferry.Errorf(ferry.EINVALID, "Could not unzip uploaded file: symlink %q points outside the function's directory", f.Name)
		}
		if err := root.Symlink(t, name); err != nil {
			return ferry.Errorf(ferry.EINVALID, "Could not unzip uploaded file: symlink %q: %v", f.Name, err)
		}
		return nil
	}
	if !mode.IsRegular() {
		return ferry.Errorf(ferry.EINVALID, "Could not unzip uploaded file: %q is not a regular file, directory or symlink", f.Name)
	}
	perm := mode.Perm()
	if perm == 0 {
		perm = 0o644 // archives made without Unix modes
	}
	perm |= 0o400
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return ferry.Errorf(ferry.EINVALID, "Could not unzip uploaded file: %q: %v", f.Name, err)
	}
	n, err := io.Copy(out, io.LimitReader(rc, *budget+1))
	cerr := out.Close()
	*budget -= n
	switch {
	case *budget < 0:
		return ferry.Errorf(ferry.EINVALID, "Unzipped size must be smaller than %d bytes", maxUnzippedBytes)
	case err != nil:
		return ferry.Errorf(ferry.EINVALID, "Could not unzip uploaded file: %q: %v", f.Name, err)
	case cerr != nil:
		return fmt.Errorf("write %s: %w", name, cerr)
	}
	// The umask may have cleared bits the archive asked for.
	if err := root.Chmod(name, perm); err != nil {
		return fmt.Errorf("chmod %s: %w", name, err)
	}
	return nil
}
