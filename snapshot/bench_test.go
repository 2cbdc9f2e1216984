package snapshot_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shopset/shopset/examples"
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

// BenchmarkPinRefs is a rebuild after a push to a tier branch in a repository of 5,000
// branches, 500 of them preview branches each at a commit of its own: "previews" lists
// and names them and compares their policies, "none" is the same inventory without a
// previews section. The goal (scripts/bench-compare.sh): previews add under 5 ms of CPU.
// The first pinning after a start reads every preview commit's date and policies/ (two
// git processes); later ones only the commits they have not seen, as here.
func BenchmarkPinRefs(b *testing.B) {
	ctx := context.Background()
	r, err := examples.BuildRepo(ctx, filepath.Join(b.TempDir(), "platform"))
	if err != nil {
		b.Fatal(err)
	}
	dev := r.Branches["tier/dev"]
	tree := strings.TrimSpace(gitOut(b, r.Dir, nil, "rev-parse", dev+"^{tree}"))
	now := time.Now().Unix()
	var refs strings.Builder
	for i := range 5000 {
		commit := dev
		name := fmt.Sprintf("topic/%04d", i)
		if i%10 == 0 {
			stamp := fmt.Sprintf("GIT_COMMITTER_DATE=@%d +0000", now-int64(i))
			commit = strings.TrimSpace(gitOut(b, r.Dir, []string{stamp}, "commit-tree", tree, "-p", dev, "-m", name))
			name = fmt.Sprintf("preview/topic-%04d", i)
		}
		fmt.Fprintf(&refs, "create refs/heads/%s %s\n", name, commit)
	}
	cmd := exec.Command("git", "update-ref", "--stdin")
	cmd.Dir, cmd.Stdin = r.Dir, strings.NewReader(refs.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("git update-ref: %v: %s", err, out)
	}
	// Packed, as a mirror's refs are after its first fetch.
	gitOut(b, r.Dir, nil, "pack-refs", "--all")
	repo, err := gitrepo.OpenLocal(r.Dir)
	if err != nil {
		b.Fatal(err)
	}
	m, err := snapshot.LoadModelAt(ctx, repo, "file:///platform", "main", "shopsets.yaml")
	if err != nil {
		b.Fatal(err)
	}
	without := *m.Inventory
	without.Previews = nil
	none, err := snapshot.NewModel(&without, m.RepoURL, m.InventoryCommit, m.Path)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		model *snapshot.Model
		want  int
	}{{"previews", m, 500}, {"none", none, 0}} {
		b.Run(tc.name, func(b *testing.B) {
			snap, err := tc.model.Pin(ctx, repo, "main")
			if err != nil {
				b.Fatal(err)
			}
			if got := len(snap.Previews.At(time.Now()).Skipped) + len(snap.Previews.At(time.Now()).Previews); got != tc.want {
				b.Fatalf("%d previews listed, want %d", got, tc.want)
			}
			reportCPU(b, func() {
				if _, err := tc.model.Pin(ctx, repo, "main"); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func gitOut(b *testing.B, dir string, env []string, args ...string) string {
	b.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Bench", "GIT_AUTHOR_EMAIL=bench@shopset.invalid", "GIT_COMMITTER_NAME=Bench", "GIT_COMMITTER_EMAIL=bench@shopset.invalid"}, env...)...)
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("git %v: %v", args, err)
	}
	return string(out)
}
