package store

import (
	"os"
	"path/filepath"
	"testing"
)

// The embedded cluster's sizes follow the machine: a quarter for shared
// buffers within 128 MB–8 GB, less on a busy machine.
func TestClusterTuning(t *testing.T) {
	get := func(ts []Tuning, name string) string {
		for _, x := range ts {
			if x.Name == name {
				return x.Value
			}
		}
		return ""
	}
	for _, c := range []struct {
		total, avail  int64
		shared, cache string
	}{
		{24 * gib, 21 * gib, "6GB", "12GB"},   // this machine: 24 GB, mostly free
		{24 * gib, 4 * gib, "1GB", "12GB"},    // busy: a quarter of what is free
		{256 * gib, 250 * gib, "8GB", "64GB"}, // large: capped
		{256 * mib, 200 * mib, "128MB", "128MB"},
	} {
		ts := ClusterTuning(c.total, c.avail, 0)
		if got := get(ts, "shared_buffers"); got != c.shared {
			t.Errorf("%d/%d: shared_buffers %s, want %s", c.total, c.avail, got, c.shared)
		}
		if got := get(ts, "effective_cache_size"); got != c.cache {
			t.Errorf("%d/%d: effective_cache_size %s, want %s", c.total, c.avail, got, c.cache)
		}
	}
	// max_wal_size: half the free disk, 1–32 GB; 4 GB when unknown.
	for free, want := range map[int64]string{0: "4GB", 68 * gib: "32GB", 40 * gib: "20GB", 9*gib + 5*mib: "4GB", 1 * gib: "1GB"} {
		if got := get(ClusterTuning(24*gib, 21*gib, free), "max_wal_size"); got != want {
			t.Errorf("%d bytes free: max_wal_size %s, want %s", free, got, want)
		}
	}
	if free := diskFree(filepath.Join(t.TempDir(), "not", "made", "yet")); free <= 0 {
		t.Errorf("free space under a directory not made yet: %d", free)
	}
	p := filepath.Join(t.TempDir(), "meminfo")
	if err := os.WriteFile(p, []byte("MemTotal:       24684084 kB\nMemFree:        15401516 kB\nMemAvailable:   21487388 kB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	total, avail, err := readMemInfo(p)
	if err != nil || total != 24684084*1024 || avail != 21487388*1024 {
		t.Errorf("readMemInfo: %d %d %v", total, avail, err)
	}
	if _, _, err := readMemInfo(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a missing meminfo read without error")
	}
	q := filepath.Join(t.TempDir(), "memory.max")
	for content, want := range map[string]int64{"max\n": 0, "2147483648\n": 2 * gib, "junk": 0} {
		if err := os.WriteFile(q, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := cgroupLimit(q); got != want {
			t.Errorf("memory.max %q: %d, want %d", content, got, want)
		}
	}
}
