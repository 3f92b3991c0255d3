package main

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"
)

// Memory is the resident set size of the whole process (server and load
// generator: they share it) around one phase.
type Memory struct {
	// BaseRSS is VmRSS just before the phase, after returning freed memory
	// to the OS so that earlier phases do not count.
	BaseRSS int64 `json:"baseRssBytes"`
	// PeakRSS is the highest RSS seen during the phase: VmHWM when the
	// kernel lets us reset it (it then covers every instant), else the
	// highest VmRSS sampled every few milliseconds.
	PeakRSS int64 `json:"peakRssBytes"`
	// HWMReset tells whether PeakRSS comes from a reset VmHWM.
	HWMReset bool `json:"hwmReset"`
}

// memWatch samples the process's RSS during a phase.
type memWatch struct {
	base     int64
	hwmReset bool
	peak     atomic.Int64
	stop     chan struct{}
	done     chan struct{}
}

// watchMemory starts watching; call Stop at the end of the phase.
func watchMemory() *memWatch {
	debug.FreeOSMemory()
	m := &memWatch{stop: make(chan struct{}), done: make(chan struct{})}
	m.base = procStatus("VmRSS")
	// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
	m.hwmReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	m.peak.Store(m.base)
	go func() {
		defer close(m.done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				if v := procStatus("VmRSS"); v > m.peak.Load() {
					m.peak.Store(v)
				}
			}
		}
	}()
	return m
}

// Stop ends the watch and returns what it saw.
func (m *memWatch) Stop() Memory {
	close(m.stop)
	<-m.done
	peak := m.peak.Load()
	if m.hwmReset {
		peak = max(peak, procStatus("VmHWM"))
	}
	return Memory{BaseRSS: m.base, PeakRSS: peak, HWMReset: m.hwmReset}
}

// procStatus returns a "kB" field of /proc/self/status in bytes, or 0.
func procStatus(field string) int64 { return procStatusOf("/proc/self/status", field) }

// procStatusOf returns a "kB" field of a /proc/PID/status file in bytes, or 0.
func procStatusOf(path, field string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	prefix := []byte(field + ":")
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, prefix) {
			continue
		}
		f := bytes.Fields(line[len(prefix):])
		if len(f) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}
