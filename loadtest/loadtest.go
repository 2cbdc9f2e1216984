// Package loadtest measures the generator under load, self-contained and on loopback only:
// it builds a platform repository of bigrepo's scale, serves it with a real generator on
// 127.0.0.1, and runs many keep-alive clients for a fixed time while a background loop
// commits inventory changes to main and refreshes the mirror, so requests meet mirror
// fetches and snapshot rebuilds as they would in production.
//
//	res, err := loadtest.Run(ctx, loadtest.Options{Clients: 200, Duration: 20 * time.Second})
//	fmt.Print(res)
//
// Every loop is bounded in count and time: the clients stop at the deadline, the commit
// loop with them, and every latency is kept in a preallocated buffer of bounded size.
package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopset/shopset/generator"
	"github.com/shopset/shopset/internal/bigrepo"
	"github.com/shopset/shopset/inventory"
)

// Mix says what each request asks for.
type Mix string

const (
	// MixAll asks for every ShopSet, unfiltered.
	MixAll Mix = "all"
	// MixTier asks for one random tier.
	MixTier Mix = "tier"
	// MixTierCluster asks for one random tier on one random cluster, as a per-cluster
	// ApplicationSet does.
	MixTierCluster Mix = "tier+cluster"
)

// Mixes lists the valid mixes.
var Mixes = []Mix{MixAll, MixTier, MixTierCluster}

// Defaults and limits.
const (
	DefaultClients        = 200
	DefaultDuration       = 20 * time.Second
	DefaultCommitEvery    = time.Second
	DefaultRequestTimeout = 10 * time.Second
	DefaultListen         = "127.0.0.1:0"
	MaxClients            = 5000
	MaxDuration           = 10 * time.Minute
	// MaxSamples bounds the latencies kept over all clients (16 MiB). Past it each client
	// keeps a uniform random sample of its own (reservoir sampling).
	MaxSamples = 1 << 21
)

// Options configure a run. Zero values take the defaults.
type Options struct {
	Clients  int           // concurrent clients; default 200, at most MaxClients
	Duration time.Duration // how long the clients send; default 20s, at most MaxDuration
	Mix      Mix           // default MixTierCluster
	// Interval paces each client: one request per Interval (a client that falls behind
	// goes on at once, without catching up). Zero sends back to back, which measures the
	// server saturated.
	Interval time.Duration
	// ShopSets, Clusters and Shops size the generated inventory; default bigrepo's scale.
	ShopSets, Clusters, Shops int
	// RepoDir is where the repository is built and kept; a directory already holding a
	// repository is reused as is (its main gets the run's commits). Default: a temporary
	// directory, removed afterwards.
	RepoDir string
	// CommitEvery is how often the background loop commits a change to main's inventory
	// and refreshes the server; default 1s. NoCommits turns the loop off.
	CommitEvery time.Duration
	NoCommits   bool
	// CommitToTier commits to the lowest tier's branch instead of main: a release moving,
	// the inventory unchanged (the generator keeps its model and only pins again).
	CommitToTier bool
	// Rollouts gives every tier a rollout and the generator an Applications cache of one
	// Application per ShopSet, Synced and Healthy at its tier's pin: answers then come
	// from rollout decisions, made again every second.
	Rollouts bool
	// Listen is the server's address; it must be a loopback IP. Default 127.0.0.1:0.
	Listen         string
	RequestTimeout time.Duration // bounds one request; default 10s
	Seed           uint64        // seeds the clients' choices
	// CPUProfile, when set, receives a CPU profile of the whole process (server and
	// clients) while the clients send.
	CPUProfile io.Writer
	// Progress, when set, receives a line per setup step.
	Progress io.Writer
}

func (o *Options) setDefaults() {
	if o.Clients == 0 {
		o.Clients = DefaultClients
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Mix == "" {
		o.Mix = MixTierCluster
	}
	if o.ShopSets == 0 {
		o.ShopSets = bigrepo.ShopSets
	}
	if o.Clusters == 0 {
		o.Clusters = bigrepo.Clusters
	}
	if o.Shops == 0 {
		o.Shops = bigrepo.Shops
	}
	if o.CommitEvery == 0 {
		o.CommitEvery = DefaultCommitEvery
	}
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

func (o *Options) validate() error {
	switch {
	case o.Clients < 1 || o.Clients > MaxClients:
		return fmt.Errorf("clients: %d is not between 1 and %d", o.Clients, MaxClients)
	case o.Duration < 0 || o.Duration > MaxDuration:
		return fmt.Errorf("duration: %v is not between 0 and %v", o.Duration, MaxDuration)
	case o.Interval < 0 || o.Interval > o.Duration:
		return fmt.Errorf("interval: %v is not between 0 and the duration", o.Interval)
	case o.CommitEvery < 0:
		return fmt.Errorf("commit interval: %v is negative", o.CommitEvery)
	case o.RequestTimeout < 0:
		return fmt.Errorf("request timeout: %v is negative", o.RequestTimeout)
	case o.ShopSets < 1 || o.Clusters < 1 || o.Shops < 0:
		return errors.New("inventory size: at least one ShopSet and one cluster")
	}
	found := false
	for _, m := range Mixes {
		found = found || m == o.Mix
	}
	if !found {
		return fmt.Errorf("mix: unknown mix %q (valid: all, tier, tier+cluster)", o.Mix)
	}
	return checkLoopback(o.Listen)
}

// checkLoopback refuses any address that is not a literal loopback IP: load goes nowhere
// but this machine. A name such as localhost is refused too, since it could resolve
// elsewhere.
func checkLoopback(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("address %q: %w", address, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q: only a loopback IP such as 127.0.0.1 is allowed", address)
	}
	return nil
}

// Run builds or opens the repository, serves it, runs the clients for opts.Duration while
// committing and refreshing, and returns what was measured. A request that fails is
// counted, not returned: the error is for a run that could not take place. When ctx ends
// early the clients stop and the partial result is returned with ctx's error.
func Run(ctx context.Context, opts Options) (res Result, err error) {
	defer func() {
		// A step cut short by ctx fails in its own words; say why it was cut.
		if ctxErr := ctx.Err(); err != nil && ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w: %w", ctxErr, err)
		}
	}()
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return Result{}, fmt.Errorf("load test options: %w", err)
	}
	res = Result{Options: opts, CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), LoadBefore: loadAverage()}
	setupStart := time.Now()

	tmp, err := os.MkdirTemp("", "shopset-loadtest-*")
	if err != nil {
		return res, fmt.Errorf("creating a work directory: %w", err)
	}
	defer os.RemoveAll(tmp)

	repo, invBytes, err := openRepo(ctx, opts, tmp)
	if err != nil {
		return res, err
	}
	if opts.Rollouts {
		if invBytes, err = withRollouts(ctx, repo, invBytes); err != nil {
			return res, err
		}
	}
	inv, err := inventory.Parse(bigrepo.InventoryFile, invBytes)
	if err != nil {
		return res, fmt.Errorf("parsing %s of %s: %w", bigrepo.InventoryFile, repo.Dir, err)
	}
	res.ShopSets, res.Clusters, res.Shops, res.InventoryBytes = len(inv.ShopSets), len(inv.Clusters), len(inv.Shops), len(invBytes)

	token, err := newToken()
	if err != nil {
		return res, err
	}
	tokenFile := filepath.Join(tmp, "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		return res, fmt.Errorf("writing the token file: %w", err)
	}
	logs := &countingHandler{}
	repoURL := "file://" + repo.Dir
	// RefCheckTTL and RefreshInterval stay at their defaults: requests check the remote
	// every 5 s, as in production.
	cfg := generator.Config{
		Repos: []string{repoURL}, CacheDir: filepath.Join(tmp, "cache"), TokenFile: tokenFile,
		Logger: slog.New(logs),
	}
	apps := &steadyApps{}
	if opts.Rollouts {
		cfg.Applications = apps
	}
	srv, err := generator.New(cfg)
	if err != nil {
		return res, fmt.Errorf("creating the generator: %w", err)
	}
	fmt.Fprintf(opts.Progress, "fetching the mirror and building the first snapshot\n")
	srv.Refresh(ctx)
	served := servedCommit(srv)
	if served == "" {
		return res, fmt.Errorf("the generator has no snapshot after its first refresh: %s", logs.last())
	}
	if opts.Rollouts {
		apps.fill(srv, inv)
	}

	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return res, fmt.Errorf("listening: %w", err)
	}
	if err := checkLoopback(ln.Addr().String()); err != nil {
		ln.Close()
		return res, err
	}
	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(serveCtx, ln) }()
	defer func() {
		stopServing()
		<-serveErr // Serve's graceful shutdown is itself bounded
	}()
	baseURL := "http://" + ln.Addr().String()
	client := newHTTPClient(opts)
	defer client.CloseIdleConnections()
	if err := waitReady(ctx, client, baseURL); err != nil {
		return res, err
	}
	res.Setup = time.Since(setupStart)

	bodies := requestBodies(opts.Mix, repoURL, inv)
	fmt.Fprintf(opts.Progress, "running %d clients for %v (mix %s)\n", opts.Clients, opts.Duration, opts.Mix)
	if opts.CPUProfile != nil {
		if err := pprof.StartCPUProfile(opts.CPUProfile); err != nil {
			return res, fmt.Errorf("starting the CPU profile: %w", err)
		}
	}
	loadCtx, stopLoad := context.WithTimeout(ctx, opts.Duration)
	defer stopLoad()
	start := time.Now()

	var wg sync.WaitGroup
	var changes changeStats
	if !opts.NoCommits {
		c := &committer{repo: repo, srv: srv, inv: inv, content: invBytes, every: opts.CommitEvery, served: served, stats: &changes,
			toTier: opts.CommitToTier}
		if opts.CommitToTier {
			c.served = servedPin(srv)
		}
		wg.Go(func() { c.run(loadCtx) })
	}
	clients := make([]*loadClient, opts.Clients)
	perClient := max(MaxSamples/opts.Clients, 1)
	var clientWG sync.WaitGroup
	for i := range clients {
		clients[i] = newLoadClient(i, opts, client, baseURL+"/api/v1/getparams.execute", token, bodies, perClient)
		clientWG.Go(func() { clients[i].run(ctx, loadCtx) })
	}
	clientWG.Wait()
	res.Elapsed = time.Since(start)
	stopLoad()
	wg.Wait()
	if opts.CPUProfile != nil {
		pprof.StopCPUProfile()
	}

	res.collect(clients)
	res.Commits, res.CommitErrors = int(changes.commits.Load()), int(changes.errors.Load())
	res.Rebuilds, res.CaughtUp = int(changes.rebuilds.Load()), changes.caughtUp.Load()
	res.Refreshes, res.RefreshMean, res.RefreshMax = changes.refreshTimes()
	res.LastCommitError = changes.lastError()
	res.ServerWarnings, res.LastServerWarning = int(logs.warnings.Load()), logs.last()
	res.LoadAfter = loadAverage()
	return res, ctx.Err()
}

// openRepo builds the repository (in opts.RepoDir or under tmp) or reuses the one in
// opts.RepoDir, and returns it with main's inventory.
func openRepo(ctx context.Context, opts Options, tmp string) (*bigrepo.Repo, []byte, error) {
	dir := opts.RepoDir
	if dir == "" {
		dir = filepath.Join(tmp, "platform")
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("opening %s: %w", dir, err)
		}
		repo := &bigrepo.Repo{Dir: abs}
		fmt.Fprintf(opts.Progress, "reusing the repository in %s\n", abs)
		inv, err := repo.ReadFile(ctx, "main", bigrepo.InventoryFile)
		if err != nil {
			return nil, nil, fmt.Errorf("reusing %s: %w", abs, err)
		}
		return repo, inv, nil
	}
	fmt.Fprintf(opts.Progress, "building a repository of %d ShopSets, %d clusters, %d shops in %s\n",
		opts.ShopSets, opts.Clusters, opts.Shops, dir)
	repo, err := bigrepo.Build(ctx, dir, opts.ShopSets, opts.Clusters, opts.Shops)
	if err != nil {
		return nil, nil, err
	}
	return repo, bigrepo.Inventory(opts.ShopSets, opts.Clusters, opts.Shops), nil
}

func newToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// newHTTPClient keeps a connection per client alive and dials loopback addresses only.
func newHTTPClient(opts Options) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: opts.RequestTimeout,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
				if err := checkLoopback(address); err != nil {
					return nil, err
				}
				return dialer.DialContext(ctx, network, address)
			},
			MaxIdleConns:        opts.Clients,
			MaxIdleConnsPerHost: opts.Clients,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
		// The generator never redirects; following one could leave loopback.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// waitReady polls /readyz for up to ten seconds.
func waitReady(ctx context.Context, client *http.Client, baseURL string) error {
	var last string
	for range 200 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/readyz", nil)
		if err != nil {
			return fmt.Errorf("checking readiness: %w", err)
		}
		resp, err := client.Do(req)
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(b)))
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("the generator did not become ready: %s", last)
}

// requestBodies are the request bodies of the mix, built once so that clients spend
// their time on requests, not on encoding them.
func requestBodies(mix Mix, repoURL string, inv *inventory.Inventory) [][]byte {
	body := func(filters string) []byte {
		return []byte(`{"applicationSetName":"shopsets","input":{"parameters":{"repoURL":"` + repoURL + `"` + filters + `}}}`)
	}
	var out [][]byte
	switch mix {
	case MixAll:
		out = append(out, body(""))
	case MixTier:
		for _, t := range inv.Tiers {
			out = append(out, body(`,"tier":"`+t.Name+`"`))
		}
	case MixTierCluster:
		for _, t := range inv.Tiers {
			for _, c := range inv.Clusters {
				out = append(out, body(`,"tier":"`+t.Name+`","cluster":"`+c.Name+`"`))
			}
		}
	}
	return out
}

// defaultView is the server's view of main's inventory, if it has one.
func defaultView(srv *generator.Server) (generator.ViewStatus, bool) {
	for _, repo := range srv.Status().Repositories {
		for _, v := range repo.Views {
			if v.Revision == "main" && v.Path == bigrepo.InventoryFile {
				return v, true
			}
		}
	}
	return generator.ViewStatus{}, false
}

// servedCommit is the inventory commit of the default view's snapshot, "" without one.
func servedCommit(srv *generator.Server) string {
	v, _ := defaultView(srv)
	return v.InventoryCommit
}

// servedPin is the revision the server pins the lowest tier to now, "" without one.
func servedPin(srv *generator.Server) string {
	if v, ok := defaultView(srv); ok && len(v.Tiers) > 0 {
		return v.Tiers[0].Pinned
	}
	return ""
}

// countingHandler is the generator's logger: it counts warnings and errors and keeps the
// last one, and drops everything else.
type countingHandler struct {
	warnings atomic.Int64
	mu       sync.Mutex
	lastMsg  string
}

func (h *countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.warnings.Add(1)
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	h.mu.Lock()
	h.lastMsg = b.String()
	h.mu.Unlock()
	return nil
}

func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

func (h *countingHandler) last() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastMsg
}

// loadAverage is /proc/loadavg's first three fields, "" where there is none.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
