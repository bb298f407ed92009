package devstack

import "testing"

// Picks are claimed machine-wide: a later pick (here, in the same process;
// across processes through the same file) never returns a port picked in
// the last minutes, though it was released and is free again. Without the
// claims, two picks of 200 from 12 000 ports would almost surely overlap.
func TestFreePortsNeverRepeatARecentPick(t *testing.T) {
	first, err := FreePorts(200)
	if err != nil {
		t.Fatal(err)
	}
	second, err := FreePorts(200)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range first {
		if seen[p] || p < freeLow || p >= freeHigh {
			t.Fatalf("first pick: port %d repeated or outside [%d, %d)", p, freeLow, freeHigh)
		}
		seen[p] = true
	}
	for _, p := range second {
		if seen[p] {
			t.Fatalf("port %d picked twice within the claim time", p)
		}
	}
}
