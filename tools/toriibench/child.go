package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// childCommand is the hidden sub-command that runs torii in a process of
// its own for scenario chat, so that the server's memory (RSS per open
// stream) is not mixed with the load generator's. The parent passes the
// database and environment in childDSN and childEnv, reads "ready URL
// PPROF" on the child's stdout, and stops it by closing its stdin (so a
// parent that dies takes its server with it).
const (
	childCommand = "chat-server"
	childDSN     = "TORIIBENCH_CHILD_DATABASE"
	childEnv     = "TORIIBENCH_CHILD_ENV"   // JSON object of TORII_* variables
	childLog     = "TORIIBENCH_CHILD_LOG"   // file for the server's logs, if set
	childPprof   = "TORIIBENCH_CHILD_PPROF" // "1": serve net/http/pprof on loopback
)

// runChild is the server process of scenario chat.
func runChild(stdout, stderr io.Writer) int {
	if err := raiseNoFile(); err != nil {
		fmt.Fprintf(stderr, "toriibench %s: %v\n", childCommand, err)
	}
	env := map[string]string{}
	if err := json.Unmarshal([]byte(os.Getenv(childEnv)), &env); err != nil {
		fmt.Fprintf(stderr, "toriibench %s: %s: %v\n", childCommand, childEnv, err)
		return 2
	}
	var logs io.Writer = io.Discard
	if name := os.Getenv(childLog); name != "" {
		f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "toriibench %s: %v\n", childCommand, err)
			return 1
		}
		defer f.Close()
		bw := &lockedWriter{w: bufio.NewWriterSize(f, 64<<10)}
		defer bw.flush()
		logs = bw
	}
	srv, err := startTorii(os.Getenv(childDSN), env, logs)
	if err != nil {
		fmt.Fprintf(stderr, "toriibench %s: %v\n", childCommand, err)
		return 1
	}
	pprofURL := "-"
	if os.Getenv(childPprof) == "1" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintf(stderr, "toriibench %s: %v\n", childCommand, err)
			return 1
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/memclasses", memClasses)
		go http.Serve(ln, mux) //nolint:errcheck // ends with the process
		pprofURL = "http://" + ln.Addr().String() + "/debug/pprof/"
	}
	fmt.Fprintf(stdout, "ready %s %s\n", srv.URL, pprofURL)
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes it, or dies
	if err := srv.stop(); err != nil {
		fmt.Fprintf(stderr, "toriibench %s: %v\n", childCommand, err)
		return 1
	}
	return 0
}

// raiseNoFile lifts the soft limit on open files to the hard one: 10,000
// loopback streams need 10,000 descriptors in each process.
func raiseNoFile() error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
	return nil
}

// noFileLimit returns the soft limit on open files.
func noFileLimit() uint64 {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return 0
	}
	return l.Cur
}

// childServer is torii running in a child process (childCommand).
type childServer struct {
	URL      string
	PprofURL string
	pid      int
	cmd      *exec.Cmd
	stdin    io.Closer
	done     chan error
}

// startChild re-executes this program as childCommand over database.
func startChild(database string, env map[string]string, logFile string, withPprof bool) (*childServer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	envJSON, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, childCommand)
	cmd.Env = append(os.Environ(), childDSN+"="+database, childEnv+"="+string(envJSON), childLog+"="+logFile)
	if withPprof {
		cmd.Env = append(cmd.Env, childPprof+"=1")
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &childServer{pid: cmd.Process.Pid, cmd: cmd, stdin: stdin, done: make(chan error, 1)}
	line, rerr := bufio.NewReader(stdout).ReadString('\n')
	go func() {
		_, _ = io.Copy(io.Discard, stdout)
		c.done <- cmd.Wait()
	}()
	f := strings.Fields(line)
	if rerr != nil || len(f) != 3 || f[0] != "ready" {
		stdin.Close()
		return nil, fmt.Errorf("the server process did not start (%v): %q", <-c.done, line)
	}
	c.URL = f[1]
	if f[2] != "-" {
		c.PprofURL = f[2]
	}
	return c, nil
}

// stop asks the child to shut down and waits for it (killing it after 30 s).
func (c *childServer) stop() error {
	c.stdin.Close()
	select {
	case err := <-c.done:
		return err
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		return errors.New("the server process did not stop within 30 s; killed")
	}
}

// rss returns the child's resident set size in bytes.
func (c *childServer) rss() int64 {
	return procStatusOf(fmt.Sprintf("/proc/%d/status", c.pid), "VmRSS")
}

// procCPU returns the user + system CPU time process pid used so far, from
// /proc/PID/stat (in clock ticks of 1/100 s, Linux's USER_HZ).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name may hold spaces: fields count from after its ")".
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100)
}

// alive returns an error once the child has exited, else ctx's error.
func (c *childServer) alive(ctx context.Context) error {
	select {
	case err := <-c.done:
		c.done <- err
		return fmt.Errorf("the server process exited: %v", err)
	default:
		return ctx.Err()
	}
}

// get returns the body of a GET of the child's pprof URL + path.
func (c *childServer) get(path string) ([]byte, error) {
	if c.PprofURL == "" {
		return nil, errors.New("the server process does not serve pprof")
	}
	resp, err := http.Get(c.PprofURL + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	return b, err
}

// saveProfile writes the child's pprof profile name (with its query) to
// file; the child must serve pprof.
func (c *childServer) saveProfile(name, file string) error {
	if c.PprofURL == "" {
		return errors.New("the server process does not serve pprof")
	}
	resp, err := http.Get(c.PprofURL + name)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof %s: HTTP %d", name, resp.StatusCode)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// memClasses writes the Go runtime's memory classes (runtime/metrics
// /memory/classes/...) and goroutine count, one "name bytes" a line: where
// the server process's memory is.
func memClasses(w http.ResponseWriter, _ *http.Request) {
	var samples []metrics.Sample
	for _, d := range metrics.All() {
		if strings.HasPrefix(d.Name, "/memory/classes/") || d.Name == "/sched/goroutines:goroutines" {
			samples = append(samples, metrics.Sample{Name: d.Name})
		}
	}
	metrics.Read(samples)
	for _, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			fmt.Fprintf(w, "%s %d\n", s.Name, s.Value.Uint64())
		}
	}
}

// runtimeMemory reads the child's memory classes (memClasses), after a
// forced garbage collection if gc is set.
func (c *childServer) runtimeMemory(gc bool) (map[string]uint64, error) {
	if gc {
		if _, err := c.get("heap?gc=1"); err != nil {
			return nil, err
		}
	}
	b, err := c.get("../memclasses")
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok {
			out[k], _ = strconv.ParseUint(v, 10, 64)
		}
	}
	return out, nil
}
