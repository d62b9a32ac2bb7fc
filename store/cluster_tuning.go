package store

// This file: the settings the console gives an embedded cluster it starts,
// sized for the machine it runs on (issue 13). PostgreSQL's defaults are
// for a server that must fit anywhere (128 MB of buffers): with tens of
// millions of paths every overlap probe would then read its index pages
// from the OS page cache or the disk. A --dsn server's settings are its
// operator's; `console health` names the ones that hurt allocation.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/plings/walletconsole/model"
)

// Tuning is one setting the console writes, with the reason the README
// and the log give for it.
type Tuning struct {
	Name, Value, Why string
}

const (
	mib = int64(1) << 20
	gib = int64(1) << 30
)

// ClusterTuning is the embedded cluster's settings for a machine with
// memTotal bytes of RAM, memAvailable of them free at the start, and
// diskFree bytes free where the data directory is (0: unknown): a quarter
// of the memory for shared buffers (at most 8 GB; less when the machine is
// busy, so that the console and the rest keep room), the planner told what
// the OS caches, and checkpoints rare enough that a migration of millions
// of paths does not pay for full-page writes all the way through.
func ClusterTuning(memTotal, memAvailable, diskFree int64) []Tuning {
	if memTotal <= 0 {
		return nil
	}
	base := memTotal
	if memAvailable > 0 && memAvailable < memTotal/2 {
		base = memAvailable
	}
	shared := clampBytes(base/4, 128*mib, 8*gib)
	cache := clampBytes(memTotal/2, shared, 64*gib)
	maint := clampBytes(memTotal/32, 64*mib, 1*gib)
	return []Tuning{
		{"shared_buffers", pgSize(shared), "a quarter of the memory (at most 8 GB): the path indexes stay in PostgreSQL's own cache"},
		{"effective_cache_size", pgSize(cache), "half the memory: what the OS caches besides, so the planner prefers the index probes"},
		{"maintenance_work_mem", pgSize(maint), "index builds and vacuum of large path tables in memory"},
		{"max_wal_size", pgSize(walSize(diskFree)), "half the free disk, 1–32 GB: a migration of 10 M paths writes ~15 GB of WAL; checkpoints forced by it all the way through (each followed by whole-page writes) cost it 40 % of its speed"},
		{"min_wal_size", "1GB", "WAL files kept for reuse instead of made again"},
		{"checkpoint_timeout", "30min", "few checkpoints: each is followed by full-page writes that slow the next allocations and batches (a crash replays at most max_wal_size of WAL)"},
		{"checkpoint_completion_target", "0.9", "a checkpoint's writes spread over its interval"},
		{"random_page_cost", "1.1", "an index probe costs about a sequential read on SSD and in memory"},
		{"jit", "off", "the overlap rule's queries are short: compiling them costs more than it saves"},
	}
}

func clampBytes(n, lo, hi int64) int64 { return max(lo, min(hi, n)) }

// walSize is max_wal_size for diskFree bytes free: half of it, 1–32 GB in
// whole GB (PostgreSQL may keep about that much in pg_wal); 4 GB when the
// free space is unknown.
func walSize(diskFree int64) int64 {
	if diskFree <= 0 {
		return 4 * gib
	}
	return clampBytes(diskFree/2/gib*gib, 1*gib, 32*gib)
}

// diskFree is the space free to PostgreSQL where dir is (or would be made):
// the nearest existing parent's file system; 0 when it cannot be read.
func diskFree(dir string) int64 {
	for d := dir; ; d = filepath.Dir(d) {
		var st syscall.Statfs_t
		if err := syscall.Statfs(d, &st); err == nil {
			return int64(st.Bavail) * int64(st.Bsize)
		}
		if d == filepath.Dir(d) {
			return 0
		}
	}
}

// pgSize writes n in PostgreSQL's units, rounded down to a whole MB.
func pgSize(n int64) string {
	if n%gib == 0 {
		return strconv.FormatInt(n/gib, 10) + "GB"
	}
	return strconv.FormatInt(n/mib, 10) + "MB"
}

// machineMemory is the memory this machine gives the console: /proc/meminfo,
// bounded by the cgroup's limit (a container sees the host's meminfo).
func machineMemory() (total, available int64, err error) {
	total, available, err = readMemInfo("/proc/meminfo")
	if err != nil {
		return 0, 0, err
	}
	if limit := cgroupLimit("/sys/fs/cgroup/memory.max"); limit > 0 && limit < total {
		total, available = limit, min(available, limit)
	}
	return total, available, nil
}

// cgroupLimit reads a cgroup v2 memory.max; 0 when there is none ("max",
// absent, unreadable).
func cgroupLimit(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil || len(b) > 64 {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// readMemInfo reads MemTotal and MemAvailable (bytes) from /proc/meminfo.
func readMemInfo(path string) (total, available int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(io.LimitReader(f, 64<<10))
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "MemTotal":
			total = n * 1024
		case "MemAvailable":
			available = n * 1024
		}
	}
	if total == 0 {
		return 0, 0, fmt.Errorf("%s: no MemTotal", path)
	}
	return total, available, s.Err()
}

// ServerSettings reads the settings model.AllocationSettingAdvice judges,
// and the size of the path indexes the overlap rule probes.
func (db *DB) ServerSettings(ctx context.Context) (model.ServerSettings, error) {
	var s model.ServerSettings
	var jit string
	err := db.pool.QueryRow(ctx, `SELECT
		(SELECT setting::bigint * 8192 FROM pg_settings WHERE name = 'shared_buffers'),
		coalesce(pg_relation_size('idx_path_registry_live'), 0) + coalesce(pg_relation_size('unique_base_path_per_wallet'), 0),
		current_setting('jit'),
		(SELECT setting::bigint * 1048576 FROM pg_settings WHERE name = 'max_wal_size'),
		(SELECT setting::bigint FROM pg_settings WHERE name = 'checkpoint_timeout'),
		current_setting('random_page_cost')::float8`).Scan(&s.SharedBuffers, &s.PathIndexBytes, &jit, &s.MaxWALSize,
		&s.CheckpointTimeout, &s.RandomPageCost)
	if err != nil {
		return s, fmt.Errorf("the server's settings: %w", explain(err))
	}
	s.JIT = jit == "on"
	return s, nil
}
