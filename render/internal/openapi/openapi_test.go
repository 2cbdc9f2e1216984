package openapi

import (
	"testing"

	"github.com/shopset/shopset/internal/golden"
)

// definitions.txt is Kustomize's built-in schema; after a Kustomize upgrade, -update
// regenerates it.
func TestDefinitionsMatchKustomize(t *testing.T) {
	got, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "definitions.txt", got)
}
