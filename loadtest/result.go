package loadtest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopset/shopset/internal/bigrepo"
)

// Goal is the latency the issue sets for the 99th percentile; the report says how many
// requests met it. Nothing fails on it: speed is read, not asserted.
const Goal = 5 * time.Millisecond

// Result is what a run measured.
type Result struct {
	Options Options // as run, defaults filled in

	ShopSets, Clusters, Shops int
	InventoryBytes            int
	CPUs, GOMAXPROCS          int
	LoadBefore, LoadAfter     string // /proc/loadavg, where there is one

	Setup   time.Duration // building the repository, the first fetch and snapshot
	Elapsed time.Duration // from the first request to the last response

	Requests int64          // answered or failed
	Errors   map[string]int // failed requests by kind: "HTTP 503", "timeout", ...
	Stale    int64          // answered with X-Shopset-Stale
	Bytes    int64          // response bodies received

	Latency    Percentiles // of successful requests, to the last byte of the body
	Samples    int         // latencies the percentiles are computed from
	WithinGoal float64     // share of the sampled successful requests at or under Goal

	Commits, CommitErrors int
	LastCommitError       string
	Refreshes             int
	RefreshMean           time.Duration
	RefreshMax            time.Duration
	// Rebuilds counts the times a refresh found the served snapshot at a new inventory
	// commit; CaughtUp says whether the last commit made was served by the end.
	Rebuilds          int
	CaughtUp          bool
	ServerWarnings    int
	LastServerWarning string
}

// Percentiles of a latency distribution.
type Percentiles struct {
	P50, P90, P99, P999, Max, Mean time.Duration
}

// ErrorCount is the number of failed requests.
func (r Result) ErrorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// Throughput is requests per second.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

func (r *Result) collect(clients []*loadClient) {
	r.Errors = map[string]int{}
	var all []time.Duration
	var seen int64
	var sum time.Duration
	for _, c := range clients {
		r.Requests += c.requests
		r.Stale += c.stale
		r.Bytes += c.bytes
		for k, n := range c.errors {
			r.Errors[k] += n
		}
		all = append(all, c.latencies...)
		seen += c.seen
		sum += c.sum
		r.Latency.Max = max(r.Latency.Max, c.max)
	}
	r.Samples = len(all)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	// Nearest rank: the smallest latency at or above which p of the samples lie.
	at := func(p float64) time.Duration {
		i := int(p*float64(len(all))+0.999999) - 1
		return all[min(max(i, 0), len(all)-1)]
	}
	r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.P999 = at(0.50), at(0.90), at(0.99), at(0.999)
	r.Latency.Mean = sum / time.Duration(seen)
	within, _ := slices.BinarySearch(all, Goal+1)
	r.WithinGoal = float64(within) / float64(len(all))
}

// String is the report: one line per aspect.
func (r Result) String() string {
	var b strings.Builder
	o := r.Options
	pace := "back to back"
	if o.Interval > 0 {
		pace = fmt.Sprintf("one request per %v per client (%.0f/s offered)", o.Interval, float64(o.Clients)/o.Interval.Seconds())
	}
	fmt.Fprintf(&b, "load test:   %d clients for %v, mix %s, %s\n", o.Clients, o.Duration, o.Mix, pace)
	fmt.Fprintf(&b, "inventory:   %d ShopSets, %d clusters, %d shops (%.1f MB); setup %v\n",
		r.ShopSets, r.Clusters, r.Shops, float64(r.InventoryBytes)/1e6, r.Setup.Round(time.Millisecond))
	fmt.Fprintf(&b, "machine:     %d CPUs, GOMAXPROCS %d, load average %s before, %s after\n",
		r.CPUs, r.GOMAXPROCS, orNone(r.LoadBefore), orNone(r.LoadAfter))
	fmt.Fprintf(&b, "requests:    %d in %v (%.0f/s), %.1f MB received, %d stale\n",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.Throughput(), float64(r.Bytes)/1e6, r.Stale)
	fmt.Fprintf(&b, "errors:      %d", r.ErrorCount())
	for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
		fmt.Fprintf(&b, ", %s: %d", k, r.Errors[k])
	}
	b.WriteString("\n")
	l := r.Latency
	fmt.Fprintf(&b, "latency:     p50 %v, p90 %v, p99 %v, p99.9 %v, max %v, mean %v (%d samples)\n",
		ms(l.P50), ms(l.P90), ms(l.P99), ms(l.P999), ms(l.Max), ms(l.Mean), r.Samples)
	verdict := "met"
	if r.Samples == 0 || l.P99 > Goal {
		verdict = "missed"
	}
	fmt.Fprintf(&b, "goal:        p99 under %v %s; %.2f%% of requests within it\n", Goal, verdict, 100*r.WithinGoal)
	if o.NoCommits {
		b.WriteString("git:         no commits during the run\n")
	} else {
		target := "main"
		if o.CommitToTier {
			target = "tier/" + bigrepo.Tiers[0]
		}
		fmt.Fprintf(&b, "git:         %d commits to %s (%d failed), %d refreshes (mean %v, max %v), %d snapshot changes seen, last commit served: %v\n",
			r.Commits, target, r.CommitErrors, r.Refreshes, ms(r.RefreshMean), ms(r.RefreshMax), r.Rebuilds, r.CaughtUp)
	}
	if r.LastCommitError != "" {
		fmt.Fprintf(&b, "             last commit error: %s\n", r.LastCommitError)
	}
	if o.Rollouts {
		fmt.Fprintf(&b, "rollouts:    every tier, one Healthy Application per ShopSet in the cache\n")
	}
	fmt.Fprintf(&b, "server:      %d warnings", r.ServerWarnings)
	if r.LastServerWarning != "" {
		fmt.Fprintf(&b, ", last: %s", r.LastServerWarning)
	}
	b.WriteString("\n")
	return b.String()
}

// ms prints a duration in milliseconds with three decimals, so columns compare easily.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.3fms", float64(d)/float64(time.Millisecond))
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
