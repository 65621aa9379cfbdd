package main

import "testing"

// TestLimits: explicit limits win; otherwise each is an eighth of the budget; no
// budget and no limits leave fs's defaults (0).
func TestLimits(t *testing.T) {
	for _, c := range []struct{ memory, dirty, cache, wantDirty, wantCache uint64 }{
		{32 << 20, 0, 0, 4 << 20, 4 << 20},
		{32 << 20, 1 << 20, 0, 1 << 20, 4 << 20},
		{0, 0, 2 << 20, 0, 2 << 20},
		{0, 0, 0, 0, 0},
	} {
		o := limits(c.memory, c.dirty, c.cache)
		if o.DirtyLimit != c.wantDirty || o.CacheLimit != c.wantCache {
			t.Errorf("limits(%d, %d, %d) = %d, %d; want %d, %d", c.memory, c.dirty, c.cache,
				o.DirtyLimit, o.CacheLimit, c.wantDirty, c.wantCache)
		}
	}
}
