package main

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPU is how the machine's CPU time was spent during a phase, as fractions
// of its whole capacity (NumCPU × wall time). Other processes compete with
// the server and the load generator for the same cores, so a phase in which
// they used a noticeable share is not a clean measurement.
type CPU struct {
	// Self is this process (server and load generator together) and the
	// bench's server process, if it runs one.
	Self float64 `json:"self"`
	// Others is every other process (and the kernel on their behalf).
	Others float64 `json:"others"`
}

type cpuMark struct {
	pids       []int // other processes of the bench (a server process) counted as self
	wall       time.Time
	self       time.Duration
	busy, all  uint64 // /proc/stat jiffies
	haveSystem bool
}

func markCPU() cpuMark { return markCPUWith() }

// markCPUWith counts the processes pids (the bench's own server process)
// as part of "self".
func markCPUWith(pids ...int) cpuMark {
	m := cpuMark{wall: time.Now(), pids: pids}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		m.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for _, pid := range pids {
		m.self += procCPU(pid)
	}
	m.busy, m.all, m.haveSystem = systemJiffies()
	return m
}

// since returns the CPU use from m to now.
func (m cpuMark) since() CPU {
	now := markCPUWith(m.pids...)
	capacity := float64(now.wall.Sub(m.wall)) * float64(runtime.NumCPU())
	if capacity <= 0 {
		return CPU{}
	}
	c := CPU{Self: float64(now.self-m.self) / capacity}
	if m.haveSystem && now.haveSystem && now.all > m.all {
		busy := float64(now.busy-m.busy) / float64(now.all-m.all)
		c.Others = max(0, busy-c.Self)
	}
	return c
}

// systemJiffies reads the busy and total time of all CPUs from /proc/stat.
func systemJiffies() (busy, all uint64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, false
	}
	var idle uint64
	// user nice system idle iowait irq softirq steal (guest time is
	// already counted in user).
	for i, s := range f[1:min(len(f), 9)] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		all += v
		if i == 3 || i == 4 {
			idle += v
		}
	}
	return all - idle, all, true
}
