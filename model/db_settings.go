package model

// This file: which of a PostgreSQL server's settings slow allocation down
// (issue 13), for `console health`. The embedded cluster is given good ones
// (store/cluster_tuning.go); a --dsn server's are its operator's, so the
// console names what hurts and why instead of changing it.

import (
	"fmt"
	"strconv"
)

// ServerSettings are the settings and sizes the advice is made from.
type ServerSettings struct {
	SharedBuffers     int64 // bytes
	PathIndexBytes    int64 // the live-path and unique indexes of path_registry together
	JIT               bool
	MaxWALSize        int64 // bytes
	CheckpointTimeout int64 // seconds
	RandomPageCost    float64
}

// SettingAdvice is one setting that hurts allocation, and what to set.
type SettingAdvice struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Advice string `json:"advice"`
}

// AllocationSettingAdvice lists the settings that make allocation slower
// than it need be; none when all is well.
func AllocationSettingAdvice(s ServerSettings) []SettingAdvice {
	var out []SettingAdvice
	if s.PathIndexBytes > 0 && s.SharedBuffers < s.PathIndexBytes {
		out = append(out, SettingAdvice{"shared_buffers", bytesText(s.SharedBuffers), fmt.Sprintf(
			"smaller than the path indexes the overlap rule probes (%s): allocations read index pages from outside PostgreSQL's cache; "+
				"give it at least %s (a quarter of the server's memory is usual)", bytesText(s.PathIndexBytes), bytesText(s.PathIndexBytes*5/4))})
	}
	if s.JIT {
		out = append(out, SettingAdvice{"jit", "on", "the overlap rule's queries are short; compiling them can add milliseconds to an allocation: jit = off"})
	}
	if s.MaxWALSize > 0 && s.MaxWALSize < 2<<30 {
		out = append(out, SettingAdvice{"max_wal_size", bytesText(s.MaxWALSize), "checkpoints come every few seconds under a bulk load or a migration, and each is followed by full-page writes: 4GB or more"})
	}
	if s.CheckpointTimeout > 0 && s.CheckpointTimeout < 600 {
		out = append(out, SettingAdvice{"checkpoint_timeout", strconv.FormatInt(s.CheckpointTimeout, 10) + "s", "frequent checkpoints mean frequent full-page writes after them: 15min"})
	}
	if s.RandomPageCost >= 4 {
		out = append(out, SettingAdvice{"random_page_cost", strconv.FormatFloat(s.RandomPageCost, 'g', -1, 64),
			"tuned for spinning disks: on SSD or with the data in memory the planner may then scan where it should probe (1.1)"})
	}
	return out
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GB"
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GB"
	default:
		return strconv.FormatInt(n>>20, 10) + " MB"
	}
}
