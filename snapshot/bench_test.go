package snapshot_test

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/internal/bigrepo"
	"github.com/shopset/shopset/snapshot"
)

// benchRepo is a repository at bigrepo's measured scale: 10,000 ShopSets, 50 clusters,
// 40,000 shops, four tier branches.
func benchRepo(b *testing.B) (*gitrepo.Repo, string) {
	b.Helper()
	ctx := context.Background()
	r, err := bigrepo.Build(ctx, filepath.Join(b.TempDir(), "platform"), bigrepo.ShopSets, bigrepo.Clusters, bigrepo.Shops)
	if err != nil {
		b.Fatal(err)
	}
	repo, err := gitrepo.OpenLocal(r.Dir)
	if err != nil {
		b.Fatal(err)
	}
	commit, err := repo.ResolveCommit(ctx, "main")
	if err != nil {
		b.Fatal(err)
	}
	return repo, commit
}

// cpuTime is the CPU time this process and its finished children (git) have used.
func cpuTime() time.Duration {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	d := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return d(self.Utime) + d(self.Stime) + d(children.Utime) + d(children.Stime)
}

// reportCPU adds cpu-ns/op: CPU time, git's included, which is what a rebuild costs a
// busy generator, where wall time on an idle machine hides the parse on another core.
func reportCPU(b *testing.B, run func()) {
	b.Helper()
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		run()
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkBuild is a rebuild after a push to main: the inventory read, parsed and
// placed, then every tier pinned.
func BenchmarkBuild(b *testing.B) {
	repo, _ := benchRepo(b)
	ctx := context.Background()
	reportCPU(b, func() {
		if _, err := snapshot.Build(ctx, repo, "file:///platform", "main", bigrepo.InventoryFile); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkPin is a rebuild after a push to a tier branch only: the generator keeps the
// model of the inventory commit and pins the tiers again.
func BenchmarkPin(b *testing.B) {
	repo, commit := benchRepo(b)
	ctx := context.Background()
	m, err := snapshot.LoadModel(ctx, repo, "file:///platform", "main", commit, bigrepo.InventoryFile)
	if err != nil {
		b.Fatal(err)
	}
	reportCPU(b, func() {
		if _, err := m.Pin(ctx, repo, "main"); err != nil {
			b.Fatal(err)
		}
	})
}
