package generator

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/shopset/shopset/preview"
	"github.com/shopset/shopset/rollout"

	"github.com/shopset/shopset/version"
)

type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  prometheus.Histogram
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopset_generator_requests_total",
			Help: "getparams requests by HTTP status code.",
		}, []string{"code"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "shopset_generator_request_duration_seconds",
			Help:    "getparams request latency.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "shopset_build_info",
		Help: "Always 1: the build of the generator, in its labels.",
	}, []string{"version", "commit", "goversion"})
	info := version.Get()
	build.WithLabelValues(info.Version, info.Commit, info.GoVersion).Set(1)
	m.registry.MustRegister(m.requests, m.latency, build, &stateCollector{s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.metrics.requests.WithLabelValues(strconv.Itoa(rec.status)).Inc()
		s.metrics.latency.Observe(time.Since(start).Seconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

var (
	descAge = prometheus.NewDesc("shopset_generator_snapshot_age_seconds",
		"Age of the snapshot served for an inventory.", []string{"repo", "revision", "path"}, nil)
	descStale = prometheus.NewDesc("shopset_generator_snapshot_stale",
		"1 when the snapshot served is an earlier good one because Git or the inventory failed.", []string{"repo", "revision", "path"}, nil)
	descRefreshErrors = prometheus.NewDesc("shopset_generator_refresh_errors_total",
		"Failed mirror refreshes.", []string{"repo"}, nil)
	descAppSetRefreshes = prometheus.NewDesc("shopset_generator_appset_refreshes_total",
		"Refresh events sent to Argo CD's ApplicationSet controller as rollouts' answers changed, by result.", []string{"repo", "result"}, nil)
	descShopSets = prometheus.NewDesc("shopset_generator_shopsets",
		"ShopSets served, per tier.", []string{"repo", "revision", "path", "tier"}, nil)
	descHeld = prometheus.NewDesc("shopset_generator_held_commits",
		"Commits on a tier's branch that its pinned revision holds back.", []string{"repo", "revision", "path", "tier"}, nil)
	descShops = prometheus.NewDesc("shopset_generator_shops",
		"Shops placed on a ShopSet.", []string{"repo", "revision", "path", "shopset"}, nil)
	descDegraded = prometheus.NewDesc("shopset_generator_degraded_shops",
		"Shops placed on fewer failure domains than they ask for.", []string{"repo", "revision", "path"}, nil)
	descPreviews = prometheus.NewDesc("shopset_generator_previews",
		"Branches matching the previews pattern, by state: served, or the reason they are not (expired, over-max, policies-differ, name-taken).", []string{"repo", "state"}, nil)
	descWaves = prometheus.NewDesc("shopset_rollout_waves",
		"Waves of a tier's rollout in each state (pending, released, soaking, done, halted).", []string{"repo", "tier", "state"}, nil)
	descHalted = prometheus.NewDesc("shopset_rollout_halted",
		"1 when a tier's rollout is halted.", []string{"repo", "tier"}, nil)
	descFrozen = prometheus.NewDesc("shopset_rollout_frozen",
		"1 when a freeze holds a tier.", []string{"repo", "tier"}, nil)
	descBehind = prometheus.NewDesc("shopset_rollout_held_back",
		"1 when a tier's target is behind its pinned revision: the tier below has not proven it yet.", []string{"repo", "tier"}, nil)
	descBlind = prometheus.NewDesc("shopset_rollout_argocd_unknown",
		"1 while Argo CD's state cannot be read: rollouts stay where they are.", []string{"repo"}, nil)
)

var waveStates = []rollout.WaveState{rollout.Pending, rollout.Released, rollout.Soaking, rollout.Done, rollout.Halted}

// stateCollector reads the snapshots at scrape time, so the gauges are never behind.
type stateCollector struct{ s *Server }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAge, descStale, descRefreshErrors, descShopSets, descHeld, descShops, descDegraded,
		descPreviews, descWaves, descHalted, descFrozen, descBehind, descBlind} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	for _, repo := range c.s.state(false).Repositories {
		ch <- prometheus.MustNewConstMetric(descRefreshErrors, prometheus.CounterValue, float64(repo.RefreshErrors), repo.URL)
		if r := repo.AppSetRefresh; r != nil {
			ch <- prometheus.MustNewConstMetric(descAppSetRefreshes, prometheus.CounterValue, float64(r.Sent), repo.URL, "sent")
			ch <- prometheus.MustNewConstMetric(descAppSetRefreshes, prometheus.CounterValue, float64(r.Failed), repo.URL, "failed")
		}
		for _, v := range repo.Views {
			if v.SnapshotBuilt == nil {
				continue
			}
			stale := 0.0
			if v.Stale {
				stale = 1
			}
			ch <- prometheus.MustNewConstMetric(descAge, prometheus.GaugeValue, v.SnapshotAgeSeconds, repo.URL, v.Revision, v.Path)
			ch <- prometheus.MustNewConstMetric(descStale, prometheus.GaugeValue, stale, repo.URL, v.Revision, v.Path)
			// Per tier and per ShopSet series only for the default inventory: other views
			// are bounded by MaxViews, but each would multiply the ShopSets' series.
			if (viewKey{v.Revision, v.Path}) != c.s.cfg.defaultKey() {
				continue
			}
			perTier := map[string]int{}
			c.s.countShopSets(repo.URL, v, perTier)
			ch <- prometheus.MustNewConstMetric(descDegraded, prometheus.GaugeValue, float64(len(v.Degraded)), repo.URL, v.Revision, v.Path)
			for name, n := range v.Shops {
				ch <- prometheus.MustNewConstMetric(descShops, prometheus.GaugeValue, float64(n), repo.URL, v.Revision, v.Path, name)
			}
			for _, t := range v.Tiers {
				ch <- prometheus.MustNewConstMetric(descShopSets, prometheus.GaugeValue, float64(perTier[t.Name]), repo.URL, v.Revision, v.Path, t.Name)
				ch <- prometheus.MustNewConstMetric(descHeld, prometheus.GaugeValue, float64(len(t.Held)), repo.URL, v.Revision, v.Path, t.Name)
			}
			if v.Rollouts != nil {
				collectRollouts(ch, repo.URL, v.Rollouts)
			}
			if v.Previews != nil {
				collectPreviews(ch, repo.URL, v.Previews)
			}
		}
	}
}

func (s *Server) countShopSets(url string, vs ViewStatus, perTier map[string]int) {
	v := s.sources[url].lookup(viewKey{vs.Revision, vs.Path})
	if v == nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.good == nil {
		return
	}
	for _, p := range v.good.Params {
		perTier[p.Tier]++
	}
}

var previewStates = []string{"served", string(preview.Expired), string(preview.OverMax), string(preview.PoliciesDiffer), string(preview.NameTaken)}

func collectPreviews(ch chan<- prometheus.Metric, repo string, p *PreviewsStatus) {
	count := map[string]int{"served": len(p.Served)}
	for _, s := range p.Skipped {
		count[string(s.Reason)]++
	}
	for _, st := range previewStates {
		ch <- prometheus.MustNewConstMetric(descPreviews, prometheus.GaugeValue, float64(count[st]), repo, st)
	}
}

func collectRollouts(ch chan<- prometheus.Metric, repo string, r *RolloutStatus) {
	gauge := func(d *prometheus.Desc, on bool, labels ...string) {
		v := 0.0
		if on {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descBlind, r.ArgoCD != "", repo)
	for _, t := range r.Tiers {
		gauge(descBehind, t.Target != t.Pinned, repo, t.Name)
		if !t.Rollout && t.Frozen == "" {
			continue
		}
		count := map[rollout.WaveState]int{}
		for _, w := range t.Waves {
			count[w.State]++
		}
		for _, st := range waveStates {
			ch <- prometheus.MustNewConstMetric(descWaves, prometheus.GaugeValue, float64(count[st]), repo, t.Name, string(st))
		}
		gauge(descHalted, t.Halt != nil, repo, t.Name)
		gauge(descFrozen, t.Frozen != "", repo, t.Name)
	}
}
