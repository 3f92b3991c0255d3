package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// notice prints line where the person (or CI job) running go test sees it.
//
// In package list mode (go test ./...) the go command keeps a passing
// package's output to itself unless -v is given: what a test binary
// writes to its stdout or stderr is never shown. So when the binary's
// parent is the go command and the go command's own stderr is a terminal
// or a pipe, the line is written there (Linux /proc); otherwise (another
// parent, or a regular file that a second writer would overwrite) it goes
// to the binary's stderr, shown in directory mode, with -v and on failure.
// Under one go command, each line is printed once however many packages
// report it. A cached test result prints nothing: -count=1 runs it again.
func notice(line string) {
	msg := "*** torii tests: " + line + " ***\n"
	ppid := os.Getppid()
	if !parentIsGo(ppid) {
		fmt.Fprint(os.Stderr, msg)
		return
	}
	if !firstTime(ppid, line) {
		return
	}
	if w := parentStderr(ppid); w != nil {
		defer w.Close()
		if _, err := io.WriteString(w, msg); err == nil {
			return
		}
	}
	fmt.Fprint(os.Stderr, msg)
}

// parentIsGo reports whether process ppid is the go command.
func parentIsGo(ppid int) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid))
	return err == nil && strings.TrimSpace(string(comm)) == "go"
}

// parentStderr opens the stderr of process ppid for writing when it is a
// terminal or a pipe, where a second writer's line lands whole; nil
// otherwise.
func parentStderr(ppid int) *os.File {
	path := fmt.Sprintf("/proc/%d/fd/2", ppid)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeCharDevice) == 0 {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil
	}
	return f
}

// firstTime reports whether line is reported for the first time under the
// go command ppid, by creating a marker file named after both in the temp
// directory (the process's start time keeps a reused pid apart). Markers
// older than a day are removed.
func firstTime(ppid int, line string) bool {
	dir := filepath.Join(os.TempDir(), "torii-test-notices")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return true
	}
	if old, err := os.ReadDir(dir); err == nil {
		for _, e := range old {
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
	start := "0"
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", ppid)); err == nil {
		// Field 22 is the start time; fields after the ")" closing the
		// command name start at field 3.
		if i := strings.LastIndexByte(string(stat), ')'); i >= 0 {
			if f := strings.Fields(string(stat)[i+1:]); len(f) > 19 {
				start = f[19]
			}
		}
	}
	sum := sha256.Sum256([]byte(line))
	name := fmt.Sprintf("%d-%s-%s", ppid, start, hex.EncodeToString(sum[:8]))
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return !os.IsExist(err) // exists: another package said it already
	}
	f.Close()
	return true
}
