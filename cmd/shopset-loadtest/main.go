// Command shopset-loadtest measures the generator under load on this machine: it builds a
// platform repository of 10,000 ShopSets, serves it on 127.0.0.1, runs concurrent clients
// for a fixed time while commits land on main, and prints latency percentiles, errors and
// throughput. It exits 1 when the run fails or any request failed.
//
//	shopset-loadtest -clients 200 -duration 20s -mix tier+cluster
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/shopset/shopset/internal/bigrepo"
	"github.com/shopset/shopset/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses the flags, runs the load test and prints its report to stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shopset-loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts loadtest.Options
	var mix, cpuProfile string
	fs.IntVar(&opts.Clients, "clients", loadtest.DefaultClients, "concurrent clients")
	fs.DurationVar(&opts.Duration, "duration", loadtest.DefaultDuration, "how long the clients send (at most 10m)")
	fs.StringVar(&mix, "mix", string(loadtest.MixTierCluster), "what each request asks for: all, tier or tier+cluster (a random one each time)")
	fs.DurationVar(&opts.Interval, "interval", 0, "one request per interval per client; 0 sends back to back")
	fs.IntVar(&opts.ShopSets, "shopsets", bigrepo.ShopSets, "ShopSets in the generated inventory")
	fs.IntVar(&opts.Clusters, "clusters", bigrepo.Clusters, "clusters in the generated inventory")
	fs.IntVar(&opts.Shops, "shops", bigrepo.Shops, "shops in the generated inventory")
	fs.StringVar(&opts.RepoDir, "repo-dir", "", "build the repository here and keep it, or reuse the one already here (its main gets the run's commits); default a temporary directory")
	fs.DurationVar(&opts.CommitEvery, "commit-every", loadtest.DefaultCommitEvery, "how often an inventory change is committed to main and refreshed")
	fs.BoolVar(&opts.NoCommits, "no-commits", false, "commit nothing during the run")
	fs.BoolVar(&opts.CommitToTier, "commit-to-tier", false, "commit to the lowest tier's branch instead of main's inventory")
	fs.BoolVar(&opts.Rollouts, "rollouts", false, "give every tier a rollout and the generator one Healthy Application per ShopSet")
	fs.StringVar(&opts.Listen, "listen", loadtest.DefaultListen, "the generator's address: a loopback IP only")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the load phase to this file")
	fs.Uint64Var(&opts.Seed, "seed", 1, "seed of the clients' random choices")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "error: unexpected arguments %q\n", fs.Args())
		return 2
	}
	opts.Mix = loadtest.Mix(mix)
	opts.Progress = stderr
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "error: %v\n", err)
			return 1
		}
		defer f.Close()
		opts.CPUProfile = f
	}
	res, err := loadtest.Run(ctx, opts)
	if res.Requests > 0 {
		fmt.Fprint(stdout, res)
	}
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	if res.ErrorCount() > 0 {
		return 1
	}
	return 0
}
