package proc

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Group lists what pid started: its children and every member of their
// process groups (PostgreSQL backends, helpers a server spawned), by pid →
// command name. Zombies are left out. Linux only (reads /proc).
func Group(pid int) (map[int]string, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	all := map[int]procStat{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := statOf(p); ok {
			all[p] = st
		}
	}
	groups := map[int]bool{}
	for p, st := range all {
		if st.ppid == pid {
			groups[p] = true
		}
	}
	out := map[int]string{}
	for p, st := range all {
		if groups[st.pgid] && st.state != "Z" {
			out[p] = st.comm
		}
	}
	return out, nil
}

// Alive reports whether pid exists and is not a zombie (on machines whose
// init does not reap orphans, dead processes linger as zombies).
func Alive(pid int) bool {
	st, ok := statOf(pid)
	return ok && st.state != "Z"
}

type procStat struct {
	comm, state string
	ppid, pgid  int
}

// statOf parses /proc/pid/stat: "pid (comm) state ppid pgrp …".
func statOf(pid int) (procStat, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, false
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procStat{}, false
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 3 {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	pgid, _ := strconv.Atoi(f[2])
	return procStat{comm: s[open+1 : end], state: f[0], ppid: ppid, pgid: pgid}, true
}

// WaitGone waits up to timeout for every process in procs (as from Group) to
// be gone and returns those still alive then, as "name[pid]".
func WaitGone(procs map[int]string, timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	for {
		var alive []string
		for pid, name := range procs {
			if Alive(pid) {
				alive = append(alive, fmt.Sprintf("%s[%d]", name, pid))
			}
		}
		if len(alive) == 0 || time.Now().After(deadline) {
			sort.Strings(alive)
			return alive
		}
		time.Sleep(50 * time.Millisecond)
	}
}
