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
// Entries that would land outside dir (absolute names, "..") are refused,
// and so is the archive when any symlink, followed through every link it
// passes (a -> b, b -> ../..), resolves outside dir; file modes are kept.
// On error dir is removed.
func unpackZip(b []byte, dir string) (err error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return ferry.Wrap(ferry.EINVALID, err, "Could not unzip uploaded file. Please check your file, then try to upload again")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("create code directory: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
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
	return checkSymlinks(dir)
}

// maxSymlinkHops bounds the links followed while resolving one path (as
// Linux's ELOOP does).
const maxSymlinkHops = 40

// checkSymlinks resolves every symlink under dir through the links it
// passes and refuses any that leads outside dir, or loops.
func checkSymlinks(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if err := resolveInside(dir, filepath.ToSlash(rel)); err != nil {
			return ferry.Errorf(ferry.EINVALID, "Could not unzip uploaded file: symlink %q %s", filepath.ToSlash(rel), err)
		}
		return nil
	})
}

// resolveInside follows rel (slash-separated, relative to dir) component by
// component, replacing each symlink by its target, and fails when the path
// climbs above dir, a target is absolute, or the links loop. A component
// that does not exist is taken lexically. Only paths inside dir are read.
func resolveInside(dir, rel string) error {
	var at []string // the resolved path so far, inside dir, without links
	todo := strings.Split(rel, "/")
	hops := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(at) == 0 {
				return fmt.Errorf("points outside the function's directory")
			}
			at = at[:len(at)-1]
			continue
		}
		at = append(at, c)
		full := filepath.Join(append([]string{dir}, at...)...)
		fi, err := os.Lstat(full)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if hops++; hops > maxSymlinkHops {
			return fmt.Errorf("is part of a symlink loop")
		}
		target, err := os.Readlink(full)
		if err != nil {
			return err
		}
		if target == "" || filepath.IsAbs(target) || strings.HasPrefix(target, `\`) {
			return fmt.Errorf("points outside the function's directory (to %q)", target)
		}
		at = at[:len(at)-1]
		todo = append(strings.Split(filepath.ToSlash(target), "/"), todo...)
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
			return ferry.Wrap(ferry.EINVALID, err, "Could not unzip uploaded file: directory %q", f.Name)
		}
		return nil
	}
	if d := path.Dir(name); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return ferry.Wrap(ferry.EINVALID, err, "Could not unzip uploaded file: directory for %q", f.Name)
		}
	}
	rc, err := f.Open()
	if err != nil {
		return ferry.Wrap(ferry.EINVALID, err, "Could not unzip uploaded file: %q", f.Name)
	}
	defer rc.Close()
	if mode&fs.ModeSymlink != 0 {
		target, err := io.ReadAll(io.LimitReader(rc, 4096))
		if err != nil {
			return ferry.Wrap(ferry.EINVALID, err, "Could not unzip uploaded file: symlink %q", f.Name)
		}
		t := string(target)
		if t == "" || filepath.IsAbs(t) || !filepath.IsLocal(path.Join(path.Dir(name), t)) {
			return ferry.Errorf(ferry.EINVALID, "Could not unzip uploaded file: symlink %q points outside the function's directory", f.Name)
		}
		if err := root.Symlink(t, name); err != nil {
			return ferry.Wrap(ferry.EINVALID, err, "Could not unzip uploaded file: symlink %q", f.Name)
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
		return ferry.Wrap(ferry.EINVALID, err, "Could not unzip uploaded file: %q", f.Name)
	}
	n, err := io.Copy(out, io.LimitReader(rc, *budget+1))
	cerr := out.Close()
	*budget -= n
	switch {
	case *budget < 0:
		return ferry.Errorf(ferry.EINVALID, "Unzipped size must be smaller than %d bytes", maxUnzippedBytes)
	case err != nil:
		return ferry.Wrap(ferry.EINVALID, err, "Could not unzip uploaded file: %q", f.Name)
	case cerr != nil:
		return fmt.Errorf("write %s: %w", name, cerr)
	}
	// The umask may have cleared bits the archive asked for.
	if err := root.Chmod(name, perm); err != nil {
		return fmt.Errorf("chmod %s: %w", name, err)
	}
	return nil
}
