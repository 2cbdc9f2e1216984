package generator

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shopset/shopset/argoapps"
	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/inventory"
)

// Config configures a Server. Zero durations and limits take the defaults below.
type Config struct {
	// Repos are the repositories served, as Applications name them (spec.source.repoURL).
	// Requests for any other repository are refused.
	Repos []string
	// CacheDir holds one bare mirror per repository.
	CacheDir    string
	Credentials gitrepo.Credentials
	// TokenFile holds the bearer token Argo CD sends (a mounted Secret); it is re-read
	// when it changes, so a rotated Secret takes effect without a restart.
	TokenFile string
	// WebhookSecretFile holds the secret of push webhooks (GitHub: the HMAC key; GitLab:
	// the token). Without it the webhook endpoint refuses every call.
	WebhookSecretFile string
	// RefreshInterval is how often every mirror is fetched without being asked.
	RefreshInterval time.Duration
	// RefCheckTTL is how long a getparams call trusts the mirror before it asks the remote
	// for its heads again, so the call that follows a push sees the push.
	RefCheckTTL time.Duration
	// GitTimeout bounds one refresh or snapshot build.
	GitTimeout time.Duration
	// MaxRemovalShare is the share of ShopSets one inventory change may remove without a
	// confirming commit trailer (package removal); removing all of them always needs one.
	// 0, the zero value, refuses every unconfirmed removal; shopctl's flag defaults to
	// DefaultMaxRemovalShare.
	MaxRemovalShare float64
	// MaxStale is how long a failing Git server is served around with the last good
	// snapshot; after that getparams answers 503, so the outage shows in Argo CD.
	MaxStale time.Duration
	// MaxRequestBytes bounds a request body.
	MaxRequestBytes int64
	// DefaultRevision and DefaultPath are the inventory's revision and path when a request
	// does not name them; the server loads them at start and is ready once it has.
	DefaultRevision, DefaultPath string
	// Applications reads what Argo CD has of the ShopSets' Applications (package
	// argoapps). nil, without Kubernetes access, turns off what needs it: the rewind
	// guard and rollouts (every ShopSet then takes its tier's pin at once).
	Applications Applications
	// Refresher, when set with Applications, is told when a rollout's answer changes
	// without a push (a wave released, a rollback), so that Argo CD asks again at once
	// rather than at the ApplicationSet's next requeue; due decisions are then made in
	// the background instead of at the next call.
	Refresher Refresher
	// Now is the clock rollouts read (soak, health timeout, freezes); time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
}

// Applications is what the generator reads of Argo CD: the ShopSets' Applications, or
// an error while that cannot be known (the cache not in sync with the API server).
type Applications interface {
	// List fails before the cache has synced, returning nil; and while its watch fails,
	// returning what the cache last held (not nil), which says where things were but
	// must not move them.
	List() ([]argoapps.App, error)
	// Version changes whenever what List returns may have.
	Version() string
}

// Defaults.
const (
	DefaultRefreshInterval = 3 * time.Minute
	DefaultRefCheckTTL     = 5 * time.Second
	DefaultGitTimeout      = 2 * time.Minute
	DefaultMaxRemovalShare = 0.5
	DefaultMaxRequestBytes = 1 << 20
	DefaultMaxStale        = 10 * time.Minute
)

// MaxViews bounds the (revision, inventory path) pairs served per repository: each
// ApplicationSet names one, so a few are the norm, and a flood of distinct revisions
// must not grow without end.
const MaxViews = 64

// defaultKey is the view a request that names no revision or path asks for.
func (c *Config) defaultKey() viewKey { return viewKey{c.DefaultRevision, c.DefaultPath} }

func (c *Config) setDefaults() {
	if c.RefreshInterval == 0 {
		c.RefreshInterval = DefaultRefreshInterval
	}
	if c.RefCheckTTL == 0 {
		c.RefCheckTTL = DefaultRefCheckTTL
	}
	if c.GitTimeout == 0 {
		c.GitTimeout = DefaultGitTimeout
	}
	if c.MaxStale == 0 {
		c.MaxStale = DefaultMaxStale
	}
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if c.DefaultRevision == "" {
		c.DefaultRevision = inventory.DefaultRevision
	}
	if c.DefaultPath == "" {
		c.DefaultPath = inventory.DefaultPath
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Server is the generator service.
type Server struct {
	cfg     Config
	log     *slog.Logger
	sources map[string]*source // by repository URL as configured
	order   []string
	token   *secretFile
	webhook *secretFile
	// webhookSlots bounds the webhook bodies read at once.
	webhookSlots chan struct{}
	metrics      *metrics
	started      time.Time
}

// New validates cfg and prepares the mirrors; nothing is fetched until Serve or Refresh.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if len(cfg.Repos) == 0 {
		return nil, errors.New("no repository to serve")
	}
	if cfg.TokenFile == "" {
		return nil, errors.New("a token file is required: Argo CD authenticates with a bearer token")
	}
	// A bad Secret is one error now, not a fetch failing at every interval.
	if err := cfg.Credentials.Check(); err != nil {
		return nil, fmt.Errorf("git credentials: %w", err)
	}
	if cfg.MaxRemovalShare < 0 || cfg.MaxRemovalShare > 1 {
		return nil, fmt.Errorf("max removal share %v is not between 0 and 1", cfg.MaxRemovalShare)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, sources: map[string]*source{}, started: time.Now()}
	s.webhookSlots = make(chan struct{}, webhookReaders)
	s.token = &secretFile{path: cfg.TokenFile}
	if _, err := s.token.read(); err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	if cfg.WebhookSecretFile != "" {
		s.webhook = &secretFile{path: cfg.WebhookSecretFile}
		if _, err := s.webhook.read(); err != nil {
			return nil, fmt.Errorf("webhook secret file: %w", err)
		}
	}
	for _, url := range cfg.Repos {
		url = strings.TrimSuffix(url, "/")
		if _, dup := s.sources[url]; dup {
			continue
		}
		src, err := newSource(url, &s.cfg, s.log)
		if err != nil {
			return nil, fmt.Errorf("repository %d: %w", len(s.order)+1, err)
		}
		s.sources[url] = src
		s.order = append(s.order, url)
	}
	s.metrics = newMetrics(s)
	return s, nil
}

// Registry returns the Prometheus registry /metrics serves.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.registry }

// Handler routes the service's endpoints.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	r.Get("/readyz", s.readyz)
	r.Handle("/metrics", s.metrics.handler())
	r.With(s.instrument, s.authenticate).Post("/api/v1/getparams.execute", s.getParams)
	r.Get("/api/v1/status", s.status)
	r.Get("/api/v1/shops/{host}", s.lookupShop)
	r.Post("/api/webhook", s.handleWebhook)
	s.dashboardRoutes(r)
	return r
}

// Serve serves on ln, refreshes the mirrors in the background, and stops gracefully when
// ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.refreshLoop(ctx) })
	if s.cfg.Refresher != nil && s.cfg.Applications != nil {
		wg.Go(func() { s.decideLoop(ctx) })
		for _, url := range s.order {
			src := s.sources[url]
			wg.Go(func() { s.appsetRefreshLoop(ctx, src) })
		}
		s.log.Info("rollouts: Argo CD's ApplicationSet controller is asked to refresh when an answer changes", "webhook", s.cfg.Refresher.URL())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("serving", "address", ln.Addr().String(), "repositories", len(s.order))
	select {
	case err := <-errc:
		wg.Wait()
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Refresh fetches every repository and rebuilds every view now.
func (s *Server) Refresh(ctx context.Context) {
	for _, url := range s.order {
		s.refreshSource(ctx, s.sources[url])
	}
}

// refreshSource fetches src and rebuilds its default view and the views asked for within
// the last two refresh intervals; the others are rebuilt when next asked.
func (s *Server) refreshSource(ctx context.Context, src *source) {
	_, _ = src.ensureFresh(ctx, true)
	src.view(src.defaultKey())
	recent := time.Now().Add(-2 * s.cfg.RefreshInterval).UnixNano()
	src.mu.Lock()
	views := make([]*view, 0, len(src.views))
	for k, v := range src.views {
		if k == src.defaultKey() || v.asked.Load() >= recent {
			views = append(views, v)
		}
	}
	src.mu.Unlock()
	for _, v := range views {
		_, _, _ = src.getView(ctx, v)
	}
}

func (s *Server) refreshLoop(ctx context.Context) {
	s.Refresh(ctx)
	t := time.NewTicker(s.cfg.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Refresh(ctx)
		}
	}
}

// readyz is ready once every repository's default inventory has a good snapshot.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	for _, url := range s.order {
		v := s.sources[url].view(s.cfg.defaultKey())
		v.mu.Lock()
		ok := v.good != nil
		v.mu.Unlock()
		if !ok {
			http.Error(w, "no snapshot yet for "+url, http.StatusServiceUnavailable)
			return
		}
	}
	_, _ = io.WriteString(w, "ok\n")
}

func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want, err := s.token.read()
		if err != nil {
			writeError(w, s.log, fmt.Errorf("reading the token file: %w", err))
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		// Hashing first makes the comparison constant-time in the token's length too.
		g, wt := sha256.Sum256([]byte(got)), sha256.Sum256(want)
		if !ok || subtle.ConstantTimeCompare(g[:], wt[:]) != 1 {
			writeError(w, s.log, errUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) getParams(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, s.log, badRequest("request body larger than %d bytes", s.cfg.MaxRequestBytes))
			return
		}
		writeError(w, s.log, badRequest("reading request body: %v", err))
		return
	}
	defaultRepo := ""
	if len(s.order) == 1 {
		defaultRepo = s.order[0]
	}
	q, err := decodeRequest(body, defaultRepo, s.cfg.defaultKey())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	src, err := s.source(q.repoURL)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	key := viewKey{q.revision, q.path}
	snap, stale, err := src.get(r.Context(), key)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	encoded := snap.Encoded
	if q.kind == KindShopSets {
		roll, err := src.rolled(r.Context(), src.view(key), snap)
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		if roll != nil {
			encoded = roll.encoded
		}
	}
	idx, err := selectParams(snap, q.kind, q.filters)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Shopset-Inventory-Commit", snap.InventoryCommit)
	if stale {
		w.Header().Set("X-Shopset-Stale", "true")
	}
	switch q.kind {
	case KindRouting:
		if _, encoded, err = snap.RoutingAt(time.Now()); err != nil {
			writeError(w, s.log, err)
			return
		}
	case KindPreviews:
		// Every preview served, and nothing else: expiry is decided now.
		encoded = snap.Previews.At(time.Now()).Encoded
		idx = make([]int, len(encoded))
		for i := range idx {
			idx[i] = i
		}
	}
	buf := make([]byte, 0, 64+len(idx)*512)
	buf = append(buf, `{"output":{"parameters":[`...)
	for n, i := range idx {
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, encoded[i]...)
	}
	buf = append(buf, "]}}\n"...)
	_, _ = w.Write(buf)
}

// source returns the served repository a request names. The URL is never echoed back:
// it may carry credentials.
func (s *Server) source(url string) (*source, error) {
	if src, ok := s.sources[strings.TrimSuffix(url, "/")]; ok {
		return src, nil
	}
	if strings.Contains(url, "@") && strings.Contains(url, "://") {
		return nil, gitrepo.ErrCredentialsInURL
	}
	return nil, fmt.Errorf("%w: input parameter %q names a repository this generator does not serve", errForbidden, ParamRepoURL)
}

// secretFile is a file-mounted secret, re-read when its modification time changes.
type secretFile struct {
	path string
	mu   sync.Mutex
	mod  time.Time
	val  []byte
}

func (f *secretFile) read() ([]byte, error) {
	info, err := os.Stat(f.path)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.val != nil && info.ModTime().Equal(f.mod) {
		return f.val, nil
	}
	b, err := os.ReadFile(f.path)
	if err != nil {
		return nil, err
	}
	v := []byte(strings.TrimSpace(string(b)))
	if len(v) == 0 {
		return nil, fmt.Errorf("%s is empty", f.path)
	}
	f.val, f.mod = v, info.ModTime()
	return v, nil
}
