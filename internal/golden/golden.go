// Package golden compares test output with files under testdata/ and rewrites them when
// the tests run with -update, the way Go's own gofmt tests do.
//
//	golden.Assert(t, "testdata/render/a-1.yaml", out)
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/ with the current output")

// Assert fails t unless got equals the golden file's bytes; with -update it writes got
// to the file instead.
func Assert(t testing.TB, file string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
		require.NoError(t, os.WriteFile(file, got, 0o644))
		return
	}
	want, err := os.ReadFile(file)
	require.NoError(t, err, "golden file missing: run the test with -update to create it")
	assert.Equal(t, string(want), string(got), "output differs from %s (run with -update to accept)", file)
}
