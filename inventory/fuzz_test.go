package inventory_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shopset/shopset/inventory"
)

// FuzzParse checks that no input makes Parse panic, and that it always keeps
// its contract: an inventory, or a non-empty list of located errors, never
// both and never neither.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range seeds {
		data, err := os.ReadFile(seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(base))
	f.Add([]byte(base + "    maxMemoryLimit: 1.5e3Ki\n"))
	f.Add([]byte(base + "allowClusterScoped: [Namespace, ClusterRole, Namespace, clusterRole]\n"))
	f.Add([]byte(rollouts))
	f.Add([]byte("a: &a [*a]\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := inventory.Parse("fuzz.yaml", data)
		if err == nil {
			if inv == nil {
				t.Fatal("Parse returned neither an inventory nor an error")
			}
			return
		}
		if inv != nil {
			t.Fatalf("Parse returned an inventory together with an error: %v", err)
		}
		errs, ok := err.(inventory.Errors)
		if !ok {
			t.Fatalf("Parse returned %T, want inventory.Errors", err)
		}
		if len(errs) == 0 {
			t.Fatal("Parse returned an empty inventory.Errors")
		}
		for i, e := range errs {
			if e.File != "fuzz.yaml" {
				t.Fatalf("error %d has File %q: %v", i, e.File, e)
			}
			if e.Msg == "" {
				t.Fatalf("error %d has no message: %v", i, e)
			}
			if i > 0 {
				p := errs[i-1]
				if p.Line > e.Line || p.Line == e.Line && p.Column > e.Column {
					t.Fatalf("errors out of file order:\n%v", err)
				}
			}
		}
	})
}
