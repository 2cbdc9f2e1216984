package loadtest_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/loadtest"
)

// A short run on a small repository: requests happen while commits land, and none fails.
// How fast they are is not asserted: the machine is shared.
func TestRunSmall(t *testing.T) {
	for _, mix := range loadtest.Mixes {
		t.Run(string(mix), func(t *testing.T) {
			var profile bytes.Buffer
			res, err := loadtest.Run(context.Background(), loadtest.Options{
				// Long enough for a few commits and refreshes on a busy machine.
				Clients: 4, Duration: 2 * time.Second, Mix: mix,
				ShopSets: 40, Clusters: 5, Shops: 100,
				CommitEvery: 100 * time.Millisecond,
				CPUProfile:  &profile,
			})
			require.NoError(t, err)
			assert.Zero(t, res.ErrorCount(), "%v", res.Errors)
			assert.Positive(t, res.Requests)
			assert.Equal(t, int(res.Requests), res.Samples, "every latency is kept")
			assert.Positive(t, res.Commits)
			assert.Zero(t, res.CommitErrors, res.LastCommitError)
			assert.Equal(t, res.Commits, res.Refreshes)
			assert.Positive(t, res.Rebuilds)
			assert.Zero(t, res.ServerWarnings, res.LastServerWarning)
			assert.LessOrEqual(t, res.Latency.P50, res.Latency.P99)
			assert.LessOrEqual(t, res.Latency.P99, res.Latency.Max)
			assert.NotEmpty(t, profile.Bytes(), "a CPU profile was written")
			report := res.String()
			for _, want := range []string{"4 clients", "mix " + string(mix), "errors:      0", "p99 "} {
				assert.Contains(t, report, want)
			}
		})
	}
}

// A directory that already holds a repository is reused, commits and all.
func TestRunReusesRepository(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "platform")
	var progress bytes.Buffer
	opts := loadtest.Options{Clients: 2, Duration: 500 * time.Millisecond, ShopSets: 8, Clusters: 2, Shops: 4,
		RepoDir: dir, CommitEvery: 100 * time.Millisecond, Progress: &progress}
	first, err := loadtest.Run(context.Background(), opts)
	require.NoError(t, err)
	assert.Zero(t, first.CommitErrors, first.LastCommitError)
	assert.Contains(t, progress.String(), "building a repository")

	progress.Reset()
	opts.Interval = 20 * time.Millisecond
	second, err := loadtest.Run(context.Background(), opts)
	require.NoError(t, err)
	assert.Contains(t, progress.String(), "reusing the repository in "+dir)
	assert.Zero(t, second.ErrorCount(), "%v", second.Errors)
	assert.Positive(t, second.Requests)
	assert.Equal(t, 8, second.ShopSets)
}

func TestRunRefusesBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts loadtest.Options
		err  string
	}{
		{"non-loopback address", loadtest.Options{Listen: "0.0.0.0:0"}, "only a loopback IP"},
		{"a host name", loadtest.Options{Listen: "localhost:8080"}, "only a loopback IP"},
		{"a public address", loadtest.Options{Listen: "192.0.2.1:80"}, "only a loopback IP"},
		{"too long", loadtest.Options{Duration: time.Hour}, "duration"},
		{"too many clients", loadtest.Options{Clients: loadtest.MaxClients + 1}, "clients"},
		{"unknown mix", loadtest.Options{Mix: "everything"}, `unknown mix "everything"`},
		{"interval past the duration", loadtest.Options{Duration: time.Second, Interval: 2 * time.Second}, "interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadtest.Run(context.Background(), tc.opts)
			assert.ErrorContains(t, err, tc.err)
		})
	}
}

func TestRunStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := loadtest.Run(ctx, loadtest.Options{Clients: 2, Duration: time.Minute, ShopSets: 8, Clusters: 2, Shops: 4})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 30*time.Second, "the run ends with its context, not its duration")
	assert.Zero(t, res.ErrorCount(), "requests cut short by the end are not errors: %v", res.Errors)
}

// With rollouts, answers come from rollout decisions over a steady cache of Applications:
// the run has no errors, and the report says rollouts were on.
func TestRunWithRollouts(t *testing.T) {
	res, err := loadtest.Run(context.Background(), loadtest.Options{
		Clients: 2, Duration: 1500 * time.Millisecond, Mix: loadtest.MixAll,
		ShopSets: 40, Clusters: 5, Shops: 100, CommitEvery: 200 * time.Millisecond, CommitToTier: true, Rollouts: true,
	})
	require.NoError(t, err)
	assert.Zero(t, res.ErrorCount(), "%v", res.Errors)
	assert.Positive(t, res.Requests)
	assert.Zero(t, res.ServerWarnings, res.LastServerWarning)
	assert.Contains(t, res.String(), "rollouts")
}
