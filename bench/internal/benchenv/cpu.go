package benchenv

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat's times;
// 100 on every Linux this runs on.
const clockTicks = 100

// CPUSample is the CPU time used so far by every live process on the
// machine, by pid; CPUShares compares two of them.
type CPUSample map[int]procCPU

type procCPU struct {
	name    string
	pgid    int
	seconds float64
}

// SampleCPU reads every process's CPU time (user + system).
func SampleCPU() CPUSample {
	out := CPUSample{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
		// majflt cmajflt utime stime …"
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 13 {
			continue
		}
		pgid, _ := strconv.Atoi(f[2])
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		name := s[open+1 : end]
		if strings.HasPrefix(name, "kworker/") { // the name carries the current work item
			name = "kernel workers"
		}
		out[pid] = procCPU{name: name, pgid: pgid, seconds: float64(u+st) / clockTicks}
	}
	return out
}

// CPUSeconds is the CPU time used so far by every live process in the
// process group pgid — a server and the workers it forked. Sampled before
// and after a run, the difference is what the run cost it.
func CPUSeconds(pgid int) float64 {
	var total float64
	for _, p := range SampleCPU() {
		if p.pgid == pgid {
			total += p.seconds
		}
	}
	return total
}

// CPUShares turns two samples taken seconds apart into cores used per
// command name ("cell", "postgres", …), largest first, as "name 0.42"
// pairs; names under 0.02 cores are left out.
func CPUShares(before, after CPUSample, seconds float64) string {
	by := map[string]float64{}
	for pid, a := range after {
		by[a.name] += (a.seconds - before[pid].seconds) / seconds
	}
	type kv struct {
		k string
		v float64
	}
	var l []kv
	for k, v := range by {
		if v >= 0.02 {
			l = append(l, kv{k, v})
		}
	}
	slices.SortFunc(l, func(a, b kv) int { return cmp.Compare(b.v, a.v) })
	var sb strings.Builder
	for i, x := range l {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "%s %.2f", x.k, x.v)
	}
	return sb.String()
}
