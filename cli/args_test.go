package cli_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A command line shopctl cannot run says what is wrong in the command's words and where
// to look, without running anything.
func TestCommandLineErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bogus"}, 1, "error: unknown command \"bogus\" for \"shopctl\"\nSee 'shopctl --help'\n"},
		{[]string{"rollot"}, 1, "error: unknown command \"rollot\" for \"shopctl\" (did you mean rollout?)\nSee 'shopctl --help'\n"},
		{[]string{"rollout", "stats"}, 1, "error: unknown command \"stats\" for \"shopctl rollout\" (did you mean status?)\nSee 'shopctl rollout --help'\n"},
		{[]string{"plugin", "gen"}, 1, "error: unknown command \"gen\" for \"shopctl plugin\" (did you mean generate?)\nSee 'shopctl plugin --help'\n"},
		{[]string{"cordon"}, 1, "error: a cluster name is required: shopctl cordon CLUSTER\n"},
		{[]string{"uncordon", "cluster-a", "cluster-b"}, 1, "error: one cluster name, not 2 (cluster-a cluster-b): shopctl uncordon CLUSTER\n"},
		{[]string{"promote", "--repo", "."}, 1, "error: a tier name is required: shopctl promote TIER\n"},
		{[]string{"rollout", "resume", "--repo", "."}, 1, "error: a tier name is required: shopctl rollout resume TIER\n"},
		{[]string{"rollout", "retry", "--repo", ".", "beta", "prod"}, 1, "error: one tier name, not 2 (beta prod): shopctl rollout retry TIER\n"},
		{[]string{"rollout", "status", "--repo", ".", "beta", "prod"}, 1, "error: one tier name, not 2 (beta prod): shopctl rollout status [TIER]\n"},
		{[]string{"render"}, 1, "error: a ShopSet name is required: shopctl render NAME\n"},
		// Unknown flags, at every depth; diff's trouble is 2, as diff(1)'s.
		{[]string{"list", "--bogus"}, 1, "error: unknown flag: --bogus\nSee 'shopctl list --help'\n"},
		{[]string{"cordon", "cluster-a", "--force"}, 1, "error: unknown flag: --force\nSee 'shopctl cordon --help'\n"},
		{[]string{"rollout", "status", "--bogus"}, 1, "error: unknown flag: --bogus\nSee 'shopctl rollout status --help'\n"},
		{[]string{"generator", "serve", "--bogus"}, 1, "error: unknown flag: --bogus\nSee 'shopctl generator serve --help'\n"},
		{[]string{"plugin", "generate", "-x"}, 1, "error: unknown shorthand flag: 'x' in -x\nSee 'shopctl plugin generate --help'\n"},
		{[]string{"policy", "test", "--bogus"}, 1, "error: unknown flag: --bogus\nSee 'shopctl policy test --help'\n"},
		{[]string{"diff", "--bogus"}, 2, "error: unknown flag: --bogus\nSee 'shopctl diff --help'\n"},
		{[]string{"--bogus"}, 1, "error: unknown flag: --bogus\nSee 'shopctl --help'\n"},
	} {
		r := run(t, nil, tc.args...)
		assert.Equal(t, tc.code, r.code, tc.args)
		assert.Equal(t, tc.want, r.stderr, tc.args)
		assert.Empty(t, r.stdout, tc.args)
	}
}

// A command that only holds others prints its help when called alone, as kubectl's do.
func TestGroupAloneShowsHelp(t *testing.T) {
	for _, args := range [][]string{{}, {"rollout"}, {"plugin"}, {"generator"}, {"policy"}} {
		r := run(t, nil, args...)
		assert.Equal(t, 0, r.code, args)
		assert.Contains(t, r.stdout, "Available Commands:", args)
		assert.Empty(t, r.stderr, args)
	}
}
