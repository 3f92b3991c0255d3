// Command toriibench is torii's load tool. In one run, in one process, it
// measures
//
//   - authenticated GET /api/v1/me requests per second and latency against a
//     bare net/http handler serving the same body (the ceiling), and
//   - password sign-ins per second, latency and peak memory against raw
//     argon2id hashing with the same parameters,
//   - Google ID-token sign-ins per second (an in-process dev-idp signs the
//     tokens in advance) against raw RS256 verifications,
//   - chat (scenario chat, on a torii in a process of its own): delivery
//     latency to 1,000 SSE subscribers of a room, messages persisted and
//     delivered per second with 100 senders, and the server's memory per
//     idle open stream with 10,000 streams,
//
// and prints the ratios next to the targets. The two sides of each ratio
// are measured in alternating rounds, so that a machine whose speed drifts
// affects both alike. torii is started the way `torii serve` starts
// (cli.Run on a loopback listener) with the production configuration,
// except that the sign-in and registration rate limits are off so that what
// is measured is the server, not the limiter.
//
//	cd tools/toriibench && go run . -scenario all -duration 10s
//
// See docs/benchmarks.md for the method and the figures.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/toriihq/torii/password"
)

type options struct {
	scenario    string
	clients     int
	waitClients int
	loginUsers  int
	duration    time.Duration
	warmup      time.Duration
	database    string
	logFile     string
	logLevel    string
	hashConc    int
	jsonOut     bool
	cpuProfile  string
	memProfile  string
	rounds      int
	// googleTokens is the pool of ID tokens scenario google signs in advance.
	googleTokens int
	// Scenario chat.
	chatUsers       int
	chatSubscribers int
	chatRate        float64
	chatSenders     int
	chatWatchers    int
	chatStreams     int
	chatIdle        time.Duration
	serverPprof     bool
	// serverMemProfile receives the server process's heap profile with
	// the -chat-streams streams open.
	serverMemProfile string
	// serverCPUProfile receives the server process's CPU profile during
	// the throughput rounds.
	serverCPUProfile string
	// fanoutStreams and fanoutMessages size scenario fanout.
	fanoutStreams  int
	fanoutMessages int
	// Scenario team (issue 17): team.go.
	teamUsers     int
	teamRooms     int
	teamBig       int
	teamRate      float64
	teamInstances int
	teamIdle      time.Duration
	teamBigGroup  bool
	stdout        io.Writer
	stderr        io.Writer
}

// Report is everything a run measured (the -json output).
type Report struct {
	Machine  Machine           `json:"machine"`
	Config   map[string]string `json:"config"`
	Me       *MeResult         `json:"me,omitempty"`
	Login    *LoginResult      `json:"login,omitempty"`
	Google   *GoogleResult     `json:"google,omitempty"`
	Chat     *ChatResult       `json:"chat,omitempty"`
	Fanout   *FanoutResult     `json:"fanout,omitempty"`
	Team     *TeamResult       `json:"team,omitempty"`
	Started  time.Time         `json:"started"`
	Finished time.Time         `json:"finished"`
}

// Machine describes where the figures come from.
type Machine struct {
	CPUModel   string `json:"cpuModel"`
	NumCPU     int    `json:"numCPU"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"goVersion"`
	OS         string `json:"os"`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && args[0] == childCommand {
		return runChild(stdout, stderr)
	}
	o := options{stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("toriibench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.scenario, "scenario", "all", "me, login, google, chat, fanout (PostgreSQL only), team (issue 17; not part of all) or all (fanout included with PostgreSQL)")
	fs.IntVar(&o.teamUsers, "team-users", 5000, "scenario team: users, each with one user connection (GET /api/v1/events)")
	fs.IntVar(&o.teamRooms, "team-rooms", 5, "scenario team: rooms each user is a member of")
	fs.IntVar(&o.teamBig, "team-big", 1000, "scenario team: members of the room the measured messages are posted in")
	fs.Float64Var(&o.teamRate, "team-rate", 10, "scenario team: messages posted per second (open loop) in the big room while the latency is measured")
	fs.IntVar(&o.teamInstances, "team-instances", 1, "scenario team: servers sharing the connections (2 needs -database postgres://…)")
	fs.BoolVar(&o.teamBigGroup, "team-big-group", false, "scenario team: the big room is a group room of a group of its members instead of a private room")
	fs.DurationVar(&o.teamIdle, "team-idle", 20*time.Second, "scenario team: how long the connections stay idle before the servers' RSS is read (more than the 15 s heartbeat)")
	fs.IntVar(&o.fanoutStreams, "fanout-streams", 10, "scenario fanout: streams open on each of the two instances")
	fs.IntVar(&o.fanoutMessages, "fanout-messages", 500, "scenario fanout: messages measured (after 20 unmeasured)")
	fs.IntVar(&o.clients, "clients", 64, "concurrent clients (closed loop)")
	fs.IntVar(&o.waitClients, "wait-clients", 512, "clients of the second sign-in phase, which shows memory stays bounded while many wait (0 skips it)")
	fs.IntVar(&o.loginUsers, "login-users", 64, "accounts the sign-in clients use, round robin")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time of each side (split into -rounds for the two sides of a ratio)")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured warm-up before each side's first run (later rounds: at most 1s)")
	fs.StringVar(&o.database, "database", "", "SQLite file, or a postgres:// URL (a fresh schema is created in it and dropped); default a temporary SQLite file")
	fs.StringVar(&o.logFile, "log", "", "file for the server's logs (default: discarded)")
	fs.StringVar(&o.logLevel, "log-level", "info", "TORII_LOG_LEVEL of the server (info is the default users run)")
	fs.IntVar(&o.hashConc, "hash-concurrency", 0, "TORII_PASSWORD_HASH_CONCURRENCY of the server (0: its default, the number of CPUs)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the results as JSON")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole process (server included) to this file")
	fs.IntVar(&o.googleTokens, "google-tokens", 200000, "distinct ID tokens signed in advance for scenario google")
	fs.IntVar(&o.rounds, "rounds", 5, "alternating rounds in which the two sides of each ratio share -duration")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile of the whole process to this file at the end of the many-waiting sign-in phase, with its requests in flight")
	fs.IntVar(&o.chatUsers, "chat-users", 100, "scenario chat: registered users whose sessions the streams and senders use, round robin")
	fs.IntVar(&o.chatSubscribers, "chat-subscribers", 1000, "scenario chat (a): event streams open while the latency is measured")
	fs.Float64Var(&o.chatRate, "chat-rate", 10, "scenario chat (a): messages posted per second (open loop) while the latency is measured")
	fs.IntVar(&o.chatSenders, "chat-senders", 100, "scenario chat (b): closed-loop senders (one user each while -chat-users allows)")
	fs.IntVar(&o.chatWatchers, "chat-watchers", 10, "scenario chat (b): event streams that must read every message while the senders run")
	fs.IntVar(&o.chatStreams, "chat-streams", 10000, "scenario chat (c): idle event streams whose server memory is measured")
	fs.DurationVar(&o.chatIdle, "chat-idle", 20*time.Second, "scenario chat (c): how long the streams stay idle before the server's RSS is read (more than the 15 s heartbeat)")
	fs.BoolVar(&o.serverPprof, "server-pprof", false, "scenarios chat and team: print the addresses of the server processes' net/http/pprof (always served on loopback)")
	fs.StringVar(&o.serverMemProfile, "server-memprofile", "", "scenario chat: write the server process's heap profile, taken with the idle streams of (c) open, to this file")
	fs.StringVar(&o.serverCPUProfile, "server-cpuprofile", "", "scenario chat: write the server process's CPU profile over the throughput (b) phase to this file; scenario team: each server's over the user connections' latency rounds to this file .1, .2")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "toriibench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	doMe, doLogin := o.scenario == "me" || o.scenario == "all", o.scenario == "login" || o.scenario == "all"
	doGoogle := o.scenario == "google" || o.scenario == "all"
	isPG := strings.HasPrefix(o.database, "postgres://") || strings.HasPrefix(o.database, "postgresql://")
	doFanout := o.scenario == "fanout" || (o.scenario == "all" && isPG)
	doChat := o.scenario == "chat" || o.scenario == "all"
	doTeam := o.scenario == "team"
	if !doMe && !doLogin && !doGoogle && !doFanout && !doChat && !doTeam {
		fmt.Fprintf(stderr, "toriibench: -scenario must be me, login, google, chat, fanout, team or all, not %q\n", o.scenario)
		return 2
	}
	if doTeam && (o.teamUsers < 1 || o.teamBig < 1 || o.teamBig > o.teamUsers || o.teamRooms < 1 || o.teamRate <= 0 || o.teamInstances < 1 || o.teamInstances > 2) {
		fmt.Fprintln(stderr, "toriibench: -team-users, -team-rooms ≥ 1, 1 ≤ -team-big ≤ -team-users, -team-rate > 0, -team-instances 1 or 2")
		return 2
	}
	if doTeam && o.teamInstances == 2 && !isPG {
		fmt.Fprintln(stderr, "toriibench: -team-instances 2 needs -database postgres://… (two servers share it)")
		return 2
	}
	if doFanout && !isPG {
		fmt.Fprintln(stderr, "toriibench: -scenario fanout needs -database postgres://… (two instances share it)")
		return 2
	}
	if doChat && (o.chatUsers < 1 || o.chatSubscribers < 1 || o.chatRate <= 0 || o.chatSenders < 1 || o.chatWatchers < 1 || o.chatStreams < 1) {
		fmt.Fprintln(stderr, "toriibench: the -chat-* counts must be ≥ 1 and -chat-rate > 0")
		return 2
	}
	if o.clients < 1 || o.loginUsers < 1 || o.rounds < 1 || o.waitClients < 0 || o.duration <= 0 || o.warmup < 0 {
		fmt.Fprintln(stderr, "toriibench: -clients, -login-users and -rounds must be ≥ 1, -wait-clients ≥ 0, -duration > 0, -warmup ≥ 0")
		return 2
	}
	if err := runBench(ctx, o, doMe, doLogin, doGoogle, doFanout, doChat, doTeam); err != nil {
		fmt.Fprintf(stderr, "toriibench: %v\n", err)
		return 1
	}
	return 0
}

// errFailures is returned when a phase counted errors; the results are
// still printed.
var errFailures = fmt.Errorf("some requests failed (see ERRORS above); the figures are not valid")

func runBench(ctx context.Context, o options, doMe, doLogin, doGoogle, doFanout, doChat, doTeam bool) (err error) {
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
	}

	var logs io.Writer = io.Discard
	if o.logFile != "" {
		f, err := os.Create(o.logFile)
		if err != nil {
			return err
		}
		defer f.Close()
		bw := &lockedWriter{w: bufio.NewWriterSize(f, 64<<10)}
		defer bw.flush()
		logs = bw
	}

	env := map[string]string{
		"TORII_LOG_LEVEL":          o.logLevel,
		"TORII_RATE_LOGIN_IP":      "off",
		"TORII_RATE_LOGIN_ACCOUNT": "off",
		"TORII_RATE_REGISTER_IP":   "off",
		// The chat scenarios post as fast as they can: creation limits
		// would measure the limiter, not the server.
		"TORII_RATE_MESSAGES_USER": "off",
		"TORII_RATE_ROOMS_USER":    "off",
		// Every bench client is one loopback address, and the chat
		// scenario opens 100 streams per user.
		"TORII_MAX_CONNS_PER_IP":     "0",
		"TORII_MAX_STREAMS_PER_USER": "0",
	}
	if o.hashConc > 0 {
		env["TORII_PASSWORD_HASH_CONCURRENCY"] = fmt.Sprint(o.hashConc)
	}
	rep := &Report{
		Machine: machine(),
		Config: map[string]string{
			"TORII_LOG_LEVEL":                 o.logLevel,
			"TORII_RATE_LOGIN_IP":             "off",
			"TORII_RATE_LOGIN_ACCOUNT":        "off",
			"TORII_RATE_REGISTER_IP":          "off",
			"TORII_RATE_MESSAGES_USER":        "off",
			"TORII_RATE_ROOMS_USER":           "off",
			"TORII_PASSWORD_HASH_CONCURRENCY": envOr(env, "TORII_PASSWORD_HASH_CONCURRENCY", "default (NumCPU)"),
			"logs":                            logsTo(o.logFile),
			"clients":                         fmt.Sprint(o.clients),
			"duration":                        o.duration.String(),
			"warmup":                          o.warmup.String(),
			"rounds":                          fmt.Sprint(o.rounds),
		},
		Started: time.Now(),
	}
	if doMe || doLogin || doGoogle || doFanout {
		dsn, dbKind, cleanup, err := prepareDatabase(ctx, o.database)
		if err != nil {
			return err
		}
		defer cleanup()
		rep.Config["database"] = dbKind
		if err := runInProcess(ctx, o, rep, dsn, env, logs, doMe, doLogin, doGoogle, doFanout); err != nil {
			return err
		}
	}
	if doChat {
		// Its own database, and torii in a process of its own (chat.go).
		cdsn, ckind, ccleanup, err := prepareDatabase(ctx, o.database)
		if err != nil {
			return err
		}
		defer ccleanup()
		rep.Config["chat database"] = ckind
		fmt.Fprintf(o.stderr, "scenario chat (torii in a server process, over %s)\n", ckind)
		if rep.Chat, err = scenarioChat(ctx, o, cdsn, env); err != nil {
			return fmt.Errorf("scenario chat: %w", err)
		}
	}
	if doTeam {
		// Its own database too, and its servers in processes of their own.
		tdsn, tkind, tcleanup, err := prepareDatabase(ctx, o.database)
		if err != nil {
			return err
		}
		defer tcleanup()
		rep.Config["chat database"] = tkind
		fmt.Fprintf(o.stderr, "scenario team (torii in %d server process(es), over %s)\n", o.teamInstances, tkind)
		if rep.Team, err = scenarioTeam(ctx, o, tdsn, env); err != nil {
			return fmt.Errorf("scenario team: %w", err)
		}
	}
	rep.Finished = time.Now()
	if ctx.Err() != nil {
		return ctx.Err()
	}

	if o.jsonOut {
		enc := json.NewEncoder(o.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(o.stdout, rep)
	}
	if failures(rep) > 0 {
		return errFailures
	}
	return nil
}

// runInProcess runs scenarios me, login, google and fanout against a torii
// in this process (fanout starts a second one).
func runInProcess(ctx context.Context, o options, rep *Report, dsn string, env map[string]string, logs io.Writer, doMe, doLogin, doGoogle, doFanout bool) (err error) {
	env = maps.Clone(env)
	var idp *benchIDP
	if doGoogle {
		if idp, err = startBenchIDP(); err != nil {
			return err
		}
		defer idp.srv.Close()
		for k, v := range idp.env() {
			env[k] = v
		}
	}
	srv, err := startTorii(dsn, env, logs)
	if err != nil {
		return err
	}
	defer func() {
		if serr := srv.stop(); serr != nil && err == nil {
			err = serr
		}
	}()

	maxClients := o.clients
	if doLogin {
		maxClients = max(maxClients, o.waitClients)
	}
	b := &bench{
		opts:  o,
		tr:    newTransport(maxClients),
		torii: srv,
		log:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	defer b.tr.CloseIdleConnections()

	fmt.Fprintf(o.stderr, "toriibench: torii at %s over %s\n", srv.URL, rep.Config["database"])
	if doMe {
		fmt.Fprintln(o.stderr, "scenario me")
		if rep.Me, err = b.scenarioMe(ctx); err != nil {
			return fmt.Errorf("scenario me: %w", err)
		}
	}
	if doLogin {
		fmt.Fprintln(o.stderr, "scenario login")
		if rep.Login, err = b.scenarioLogin(ctx); err != nil {
			return fmt.Errorf("scenario login: %w", err)
		}
	}
	if doGoogle {
		fmt.Fprintln(o.stderr, "scenario google")
		if rep.Google, err = b.scenarioGoogle(ctx, idp); err != nil {
			return fmt.Errorf("scenario google: %w", err)
		}
	}
	if doFanout {
		fmt.Fprintln(o.stderr, "scenario fanout")
		if rep.Fanout, err = b.scenarioFanout(ctx, dsn, env, logs); err != nil {
			return fmt.Errorf("scenario fanout: %w", err)
		}
	}
	return nil
}

// lockedWriter serialises writes to a buffered log file.
type lockedWriter struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.w.Flush()
}

func envOr(env map[string]string, k, def string) string {
	if v, ok := env[k]; ok {
		return v
	}
	return def
}

func logsTo(file string) string {
	if file == "" {
		return "discarded (written to io.Discard, still formatted)"
	}
	return file
}

func machine() Machine {
	m := Machine{
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		OS:         runtime.GOOS + "/" + runtime.GOARCH,
		CPUModel:   "unknown",
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

func failures(r *Report) int64 {
	var n int64
	for _, p := range allPhases(r) {
		n += p.Stats.Errors
	}
	if r.Chat != nil {
		n += r.Chat.failures()
	}
	if r.Team != nil {
		n += r.Team.failures()
	}
	return n
}

func printReport(w io.Writer, r *Report) {
	m := r.Machine
	fmt.Fprintf(w, "\ntoriibench — %s\n", r.Started.Format(time.RFC3339))
	fmt.Fprintf(w, "machine:  %s, %d CPUs (GOMAXPROCS %d), %s, %s\n", m.CPUModel, m.NumCPU, m.GOMAXPROCS, m.GoVersion, m.OS)
	if db := r.Config["database"]; db != "" {
		fmt.Fprintf(w, "server:   torii via cli.Run(serve) in this process on 127.0.0.1, %s\n", db)
	}
	if db := r.Config["chat database"]; db != "" {
		fmt.Fprintf(w, "server:   (chat) torii via cli.Run(serve) in a server process of its own on 127.0.0.1, %s\n", db)
	}
	fmt.Fprintf(w, "          TORII_LOG_LEVEL=%s, logs %s\n", r.Config["TORII_LOG_LEVEL"], r.Config["logs"])
	fmt.Fprintf(w, "          rate limits off for the bench: TORII_RATE_LOGIN_IP=off TORII_RATE_LOGIN_ACCOUNT=off TORII_RATE_REGISTER_IP=off TORII_RATE_MESSAGES_USER=off TORII_RATE_ROOMS_USER=off\n")
	fmt.Fprintf(w, "load:     closed loop, keep-alive, %s measured per side after a %s warm-up; the two sides of a ratio alternate in %s rounds;\n"+
		"          the load generator shares the CPUs with the server\n",
		r.Config["duration"], r.Config["warmup"], r.Config["rounds"])

	if me := r.Me; me != nil {
		fmt.Fprintf(w, "\nGET /api/v1/me with a session cookie, %d clients (body %d bytes)\n", me.Torii.Stats.Clients, me.BodyBytes)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "\treq/s\tp50\tp90\tp99\tmax\terrors\tCPU self\tCPU others\t")
		for _, p := range []Phase{me.Torii, me.Bare} {
			s := p.Stats
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t\n", p.Name, fmtRate(s.PerSec), fmtDur(s.P50), fmtDur(s.P90), fmtDur(s.P99), fmtDur(s.Max), s.Errors,
				fmtPct(p.CPU.Self), fmtPct(p.CPU.Others))
		}
		tw.Flush()
		fmt.Fprintf(w, "ratio torii/bare: %.1f %% (target ≥ %.0f %%) %s%s\n", 100*me.Ratio, 100*me.Target, verdict(me.Pass), caveat(me.Torii, me.Bare))
		fmt.Fprintf(w, "  per round: %s\n", fmtRatios(me.Rounds))
		loud(w, me.Torii, me.Bare)
	}
	if l := r.Login; l != nil {
		fmt.Fprintf(w, "\npassword sign-in, %s, server hash concurrency %d, %d accounts\n", l.Params, l.HashConcurrency, l.Users)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "\tclients\tops/s\tp50\tp90\tp99\tmax\terrors\tRSS before\tpeak RSS\tCPU self\tCPU others\t")
		phases := []Phase{l.Raw, l.Login}
		if l.Waiting != nil {
			phases = append(phases, *l.Waiting)
		}
		for _, p := range phases {
			s := p.Stats
			before, peak := "-", "-"
			if p.Memory != nil {
				before, peak = fmtMiB(p.Memory.BaseRSS), fmtMiB(p.Memory.PeakRSS)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t\n", p.Name, s.Clients, fmtRate(s.PerSec),
				fmtDur(s.P50), fmtDur(s.P90), fmtDur(s.P99), fmtDur(s.Max), s.Errors, before, peak, fmtPct(p.CPU.Self), fmtPct(p.CPU.Others))
		}
		tw.Flush()
		fmt.Fprintf(w, "ratio sign-ins/raw hashes: %.1f %% (target ≥ %.0f %%) %s%s\n", 100*l.Ratio, 100*l.Target, verdict(l.Pass), caveat(l.Raw, l.Login))
		fmt.Fprintf(w, "  per round: %s\n", fmtRatios(l.Rounds))
		if l.Waiting != nil && l.Login.Memory != nil && l.Waiting.Memory != nil {
			fmt.Fprintf(w, "peak RSS with %d clients vs %d: %s vs %s (whole process: server and load generator)\n",
				l.Waiting.Stats.Clients, l.Login.Stats.Clients, fmtMiB(l.Waiting.Memory.PeakRSS), fmtMiB(l.Login.Memory.PeakRSS))
			if extra := l.Waiting.Stats.Clients - l.Login.Stats.Clients; extra > 0 {
				fmt.Fprintf(w, "  %+.0f MiB for %d more waiting clients (connection state of both ends and GC headroom);\n"+
					"  argon2id memory is bounded by the hash concurrency: an unbounded hasher would need %d × %d MiB = %.1f GiB more\n",
					float64(l.Waiting.Memory.PeakRSS-l.Login.Memory.PeakRSS)/(1<<20), extra, extra, password.DefaultParams.Memory/1024,
					float64(extra)*float64(password.DefaultParams.Memory)/(1<<20))
			}
		}
		if l.Raw.Memory != nil && !l.Raw.Memory.HWMReset {
			fmt.Fprintln(w, "note: VmHWM could not be reset; peak RSS is the highest VmRSS sampled every 5 ms")
		}
		loud(w, phases...)
	}
	if r.Google != nil {
		printGoogle(w, r.Google)
	}
	if r.Chat != nil {
		printChat(w, r.Chat)
	}
	if r.Fanout != nil {
		printFanout(w, r.Fanout)
	}
	if r.Team != nil {
		printTeam(w, r.Team)
	}
	if strings.HasPrefix(r.Config["database"], "PostgreSQL") || strings.HasPrefix(r.Config["chat database"], "PostgreSQL") {
		fmt.Fprintln(w, "\nnote: with PostgreSQL the database server's CPU counts as \"CPU others\", so the disturbance check below is only indicative")
	}
	if busy := disturbed(r); len(busy) > 0 {
		fmt.Fprintf(w, "\n!!! other processes used more than %.0f %% of the CPUs during: %s — these figures are disturbed; rerun on a quiet machine\n",
			100*disturbedAbove, strings.Join(busy, ", "))
	}
	fmt.Fprintln(w)
}

// disturbedAbove is the share of the machine other processes may use in a
// phase before its figures are flagged.
const disturbedAbove = 0.05

func allPhases(r *Report) []Phase {
	var ps []Phase
	if r.Me != nil {
		ps = append(ps, r.Me.Torii, r.Me.Bare)
	}
	if r.Login != nil {
		ps = append(ps, r.Login.Raw, r.Login.Login)
		if r.Login.Waiting != nil {
			ps = append(ps, *r.Login.Waiting)
		}
	}
	if r.Google != nil {
		ps = append(ps, r.Google.Raw, r.Google.RawJose, r.Google.SignIn)
	}
	return ps
}

func disturbed(r *Report) []string {
	var names []string
	for _, p := range allPhases(r) {
		if p.CPU.Others > disturbedAbove {
			names = append(names, fmt.Sprintf("%q (%s)", p.Name, fmtPct(p.CPU.Others)))
		}
	}
	if r.Chat != nil {
		names = append(names, r.Chat.disturbed()...)
	}
	if r.Team != nil {
		names = append(names, r.Team.disturbed()...)
	}
	return names
}

// caveat marks a ratio whose phases other processes disturbed.
func caveat(phases ...Phase) string {
	for _, p := range phases {
		if p.CPU.Others > disturbedAbove {
			return " — but disturbed by other processes, not a valid measurement"
		}
	}
	return ""
}

func fmtRatios(rs []float64) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%.0f %%", 100*r)
	}
	return strings.Join(parts, ", ")
}

func fmtPct(f float64) string { return fmt.Sprintf("%.0f %%", 100*f) }

func verdict(pass bool) string {
	if pass {
		return "PASS"
	}
	return "MISS"
}

// loud prints the errors of phases that had any, so they cannot be missed.
func loud(w io.Writer, phases ...Phase) {
	for _, p := range phases {
		if p.Stats.Errors > 0 {
			fmt.Fprintf(w, "!!! ERRORS in %q: %d failed requests: %s\n", p.Name, p.Stats.Errors, errorSummary(p.Stats.ErrorKinds))
		}
	}
}

func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

func fmtRate(r float64) string {
	if r < 1000 {
		return fmt.Sprintf("%.1f", r)
	}
	s := fmt.Sprintf("%.0f", r)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func fmtMiB(b int64) string {
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}
