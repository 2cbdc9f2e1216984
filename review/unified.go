package review

import (
	"bytes"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// Unified returns the unified diff (diff -u) of a and b with context lines of context
// around each change, headed by "--- from" and "+++ to", and how many lines it adds and
// removes. It returns "" when a and b are equal. Rendered manifests end in a newline;
// a side that does not gets one, as difflib's line splitting does.
func Unified(a, b []byte, from, to string, context int) (diff string, added, removed int) {
	if bytes.Equal(a, b) {
		return "", 0, 0
	}
	text, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: splitKeepEOL(a), B: splitKeepEOL(b), FromFile: from, ToFile: to, Context: max(context, 0),
	})
	if err != nil { // only a failing writer errs, and a strings.Builder does not fail
		return "", 0, 0
	}
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "+++ ") || strings.HasPrefix(l, "--- "):
		case strings.HasPrefix(l, "+"):
			added++
		case strings.HasPrefix(l, "-"):
			removed++
		}
	}
	return text, added, removed
}

// splitKeepEOL splits text into lines that each keep their "\n".
func splitKeepEOL(text []byte) []string {
	if len(text) == 0 {
		return nil
	}
	return difflib.SplitLines(strings.TrimSuffix(string(text), "\n"))
}
