package render

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGuardedTurnsPanicIntoError(t *testing.T) {
	out, err := guarded(func() ([]byte, error) { panic("concurrent map writes") })
	require.EqualError(t, err, "kustomize build panicked: concurrent map writes")
	assert.Nil(t, out)

	// The lock was released: the next build runs.
	out, err = guarded(func() ([]byte, error) { return []byte("ok"), nil })
	require.NoError(t, err)
	assert.Equal(t, "ok", string(out))
}
