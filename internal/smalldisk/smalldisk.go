// Package smalldisk gives tests a data directory on a small filesystem
// they can fill and free: a tmpfs of a given size where mounting is
// permitted (root on Linux), otherwise an ordinary directory with
// JetStream's store limit set to that size, which refuses writes with the
// same "insufficient resources" errors once reached.
package smalldisk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// Kinds of small disk.
const (
	Mounted = "tmpfs"           // a real filesystem of the given size
	Limited = "JetStream limit" // JetStream's max_file_store
)

// Disk is a small data directory.
type Disk struct {
	Dir string
	// ServerConfig is embedded nats-server configuration to start the
	// engine with (the store limit when the disk is Limited).
	ServerConfig string
	Kind         string
	size         int64
}

// New returns a data directory of about size bytes, removed at the end of
// the test. SMALLDISK=limit in the environment picks the fallback even
// where mounting is permitted.
func New(t testing.TB, size int64) *Disk {
	t.Helper()
	if os.Getenv("SMALLDISK") == "limit" {
		return NewLimited(t, size)
	}
	dir := t.TempDir()
	d := &Disk{Dir: dir, size: size}
	err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", size))
	if err == nil {
		d.Kind = Mounted
		t.Cleanup(func() {
			if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
				t.Errorf("unmount %s: %v", dir, err)
			}
		})
		return d
	}
	t.Logf("mount tmpfs: %v; using JetStream's store limit instead", err)
	return limited(dir, size)
}

// NewLimited returns an ordinary data directory with JetStream's store
// limit set to size: the fallback of New, always available.
func NewLimited(t testing.TB, size int64) *Disk {
	t.Helper()
	return limited(t.TempDir(), size)
}

func limited(dir string, size int64) *Disk {
	return &Disk{Dir: dir, size: size, Kind: Limited,
		ServerConfig: fmt.Sprintf("jetstream: {max_file_store: %d}", size)}
}

const junkStream = "SMALLDISK_JUNK"

func (d *Disk) junkFile() string { return filepath.Join(d.Dir, "junk") }

// Fill takes every free byte: a file written until the filesystem refuses
// (Mounted), or messages published until JetStream refuses (Limited).
func (d *Disk) Fill(t testing.TB, js jetstream.JetStream) {
	t.Helper()
	chunk := bytes.Repeat([]byte{'j'}, 1<<20)
	if d.Kind == Mounted {
		f, err := os.Create(d.junkFile())
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for {
			if _, err := f.Write(chunk); err != nil {
				if errors.Is(err, syscall.ENOSPC) {
					break
				}
				t.Fatal(err)
			}
		}
		// Take the last partial chunk too.
		for _, n := range []int{64 << 10, 4 << 10, 512, 1} {
			for {
				if _, err := f.Write(chunk[:n]); err != nil {
					break
				}
			}
		}
		return
	}
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: junkStream, Subjects: []string{"smalldisk.junk"}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if _, err := js.Publish(ctx, "smalldisk.junk", chunk); err != nil {
			break
		}
		if int64(i) > 4*d.size>>20 {
			t.Fatalf("the store took %d MiB without refusing", i)
		}
	}
}

// Free gives back what Fill took.
func (d *Disk) Free(t testing.TB, js jetstream.JetStream) {
	t.Helper()
	if d.Kind == Mounted {
		if err := os.Remove(d.junkFile()); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := js.DeleteStream(context.Background(), junkStream); err != nil {
		t.Fatal(err)
	}
}
