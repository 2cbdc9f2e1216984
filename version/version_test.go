package version_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shopset/shopset/version"
)

func TestGet(t *testing.T) {
	info := version.Get()
	assert.NotEmpty(t, info.GoVersion)
	for _, v := range []string{info.Version, info.Commit, info.Date} {
		assert.NotEmpty(t, v, "unknown fields read \"unknown\", never empty")
	}

	version.Version, version.Commit, version.Date = "v9.9.9", "abc", "2026-12-02T00:00:00Z"
	defer func() { version.Version, version.Commit, version.Date = "", "", "" }()
	info = version.Get()
	assert.Equal(t, "v9.9.9", info.Version)
	assert.Equal(t, "abc", info.Commit)
	assert.Equal(t, "2026-12-02T00:00:00Z", info.Date)
	assert.Equal(t, "shopset/v9.9.9", version.UserAgent())
}
