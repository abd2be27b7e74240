package ferry

import (
	"bytes"
	"os"
	"path/filepath"
)

// InstallFile writes content to dir/name (creating dir) unless the file
// already holds exactly that, and returns the file's absolute path. It is
// safe to call concurrently and repeatedly: an up-to-date file is left
// untouched and a changed one is replaced atomically (written to a
// temporary file in dir, then renamed). Callers name what they install
// in the error.
func InstallFile(dir, name string, content []byte) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	path := filepath.Join(abs, name)
	if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, content) {
		return path, nil
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(abs, "."+name+".*")
	if err != nil {
		return "", err
	}
	_, werr := tmp.Write(content)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return "", werr
	}
	return path, nil
}
