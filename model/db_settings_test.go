package model

import (
	"strings"
	"testing"
)

func TestAllocationSettingAdvice(t *testing.T) {
	// PostgreSQL's defaults under 10 M paths (indexes of about 1.5 GB).
	bad := AllocationSettingAdvice(ServerSettings{SharedBuffers: 128 << 20, PathIndexBytes: 1536 << 20, JIT: true,
		MaxWALSize: 1 << 30, CheckpointTimeout: 300, RandomPageCost: 4})
	var names []string
	for _, a := range bad {
		names = append(names, a.Name)
	}
	if strings.Join(names, ",") != "shared_buffers,jit,max_wal_size,checkpoint_timeout,random_page_cost" {
		t.Errorf("advice for the defaults: %v", names)
	}
	if !strings.Contains(bad[0].Advice, "1.5 GB") || bad[0].Value != "128 MB" {
		t.Errorf("shared_buffers advice: %+v", bad[0])
	}
	// The embedded cluster's own settings on this machine: nothing to say.
	if good := AllocationSettingAdvice(ServerSettings{SharedBuffers: 6 << 30, PathIndexBytes: 1536 << 20,
		MaxWALSize: 4 << 30, CheckpointTimeout: 900, RandomPageCost: 1.1}); len(good) != 0 {
		t.Errorf("advice for good settings: %+v", good)
	}
}
