package preview_test

import (
	"strings"
	"testing"

	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/preview"
)

// Branch names are pushed by anyone with write access: every one must give a name that
// is a valid ShopSet name with a DNS-label namespace, the same every time, and two
// branches must not share one.
func FuzzName(f *testing.F) {
	for _, s := range []string{"preview/checkout", "preview/Checkout", "preview/", "preview/a/b", "x", "preview/" + strings.Repeat("ab-", 40), "preview/\x00\xff"} {
		f.Add(s, "preview/x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		// Only branches under the prefix match the pattern.
		a, b = "preview/"+strings.TrimPrefix(a, "preview/"), "preview/"+strings.TrimPrefix(b, "preview/")
		name := preview.Name("preview/", a)
		if !strings.HasPrefix(name, inventory.PreviewNamePrefix) {
			t.Fatalf("%q: name %q does not start with %q", a, name, inventory.PreviewNamePrefix)
		}
		if err := inventory.ValidDNSLabel(inventory.DefaultNamespace(name)); err != nil {
			t.Fatalf("%q: %v", a, err)
		}
		if err := inventory.ValidDNSLabel(name); err != nil {
			t.Fatalf("%q: %v", a, err)
		}
		if again := preview.Name("preview/", a); again != name {
			t.Fatalf("%q: %q then %q", a, name, again)
		}
		if a != b && preview.Name("preview/", b) == name {
			t.Fatalf("%q and %q are both named %q", a, b, name)
		}
	})
}
