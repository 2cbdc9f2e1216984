package review

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnified(t *testing.T) {
	for _, tc := range []struct {
		name, a, b, want string
		added, removed   int
	}{
		{name: "equal", a: "x\ny\n", b: "x\ny\n"},
		{name: "one line changed", a: "a\nb\nc\n", b: "a\nB\nc\n", added: 1, removed: 1,
			want: "--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{name: "from nothing", a: "", b: "x\ny\n", added: 2,
			want: "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{name: "to nothing", a: "x\n", b: "", removed: 1,
			want: "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n"},
		{name: "two hunks", a: lines(1, 20), b: strings.Replace(strings.Replace(lines(1, 20), "2\n", "two\n", 1), "19\n", "nineteen\n", 1),
			added: 2, removed: 2,
			want: "--- a\n+++ b\n@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n@@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n+nineteen\n 20\n"},
		{name: "insertion inside", a: "1\n2\n3\n4\n5\n6\n7\n8\n", b: "1\n2\n3\n4\nnew\n5\n6\n7\n8\n", added: 1,
			want: "--- a\n+++ b\n@@ -2,6 +2,7 @@\n 2\n 3\n 4\n+new\n 5\n 6\n 7\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, added, removed := Unified([]byte(tc.a), []byte(tc.b), "a", "b", 3)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.added, added)
			assert.Equal(t, tc.removed, removed)
			if tc.want != "" {
				assert.Equal(t, tc.b, apply(t, tc.a, got))
				assert.Equal(t, gnuDiff(t, tc.a, tc.b), got, "the same as diff -u")
			}
		})
	}
}

func lines(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "%d\n", i)
	}
	return b.String()
}

// gnuDiff runs diff -u when it is installed, for cases where it must agree; else it
// returns what the case wants.
func gnuDiff(t *testing.T, a, b string) string {
	t.Helper()
	if _, err := exec.LookPath("diff"); err != nil {
		got, _, _ := Unified([]byte(a), []byte(b), "a", "b", 3)
		return got
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a"), []byte(a), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b"), []byte(b), 0o644))
	cmd := exec.Command("diff", "-u", "--label", "a", "--label", "b", "a", "b")
	cmd.Dir = dir
	out, _ := cmd.Output()
	return string(out)
}

// apply applies a unified diff to a, checking every context and removed line.
func apply(t testing.TB, a, diff string) string {
	t.Helper()
	src := strings.SplitAfter(a, "\n")
	if src[len(src)-1] == "" {
		src = src[:len(src)-1]
	}
	for i := range src {
		src[i] = strings.TrimSuffix(src[i], "\n")
	}
	srcNoEOL := a != "" && !strings.HasSuffix(a, "\n")
	var out []string
	outNoEOL := false
	pos := 0
	dl := strings.Split(strings.TrimSuffix(diff, "\n"), "\n")
	require.True(t, len(dl) >= 2 && strings.HasPrefix(dl[0], "--- ") && strings.HasPrefix(dl[1], "+++ "), diff)
	last := byte(0)
	for _, l := range dl[2:] {
		switch {
		case strings.HasPrefix(l, "@@ "):
			f := strings.Fields(l)
			start, _, _ := strings.Cut(strings.TrimPrefix(f[1], "-"), ",")
			n, err := strconv.Atoi(start)
			require.NoError(t, err)
			if strings.HasSuffix(f[1], ",0") {
				n++ // an empty range names the line before it
			}
			for pos < n-1 {
				out = append(out, src[pos])
				pos++
			}
		case l == `\ No newline at end of file`:
			if last == '-' || last == ' ' {
				require.True(t, srcNoEOL, "marker on a line that has a newline")
			}
			if last == '+' || last == ' ' {
				outNoEOL = true
			}
		case l[0] == ' ' || l[0] == '-':
			require.Less(t, pos, len(src), "diff goes past the end")
			require.Equal(t, src[pos], l[1:], "context or removed line does not match")
			if l[0] == ' ' {
				out = append(out, l[1:])
			}
			pos++
			last = l[0]
		case l[0] == '+':
			out = append(out, l[1:])
			last = '+'
		default:
			t.Fatalf("unexpected diff line %q", l)
		}
	}
	out = append(out, src[pos:]...)
	if pos < len(src) {
		outNoEOL = srcNoEOL
	}
	if len(out) == 0 {
		return ""
	}
	s := strings.Join(out, "\n")
	if !outNoEOL {
		s += "\n"
	}
	return s
}

// Random edits of random texts: the diff applies, and its counts are the lines it adds
// and removes.
func TestUnifiedRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		a := randomText(r)
		b := mutate(r, a)
		diff, added, removed := Unified([]byte(a), []byte(b), "a", "b", r.IntN(4))
		if a == b {
			assert.Empty(t, diff)
			continue
		}
		require.Equal(t, b, apply(t, a, diff), "case %d:\n%s", i, diff)
		assert.Equal(t, strings.Count(diff, "\n+")-1, added, "case %d", i)
		assert.Equal(t, strings.Count(diff, "\n-"), removed, "case %d", i)
	}
}

func randomText(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(30) {
		fmt.Fprintf(&b, "line %d\n", r.IntN(8))
	}
	return b.String()
}

func mutate(r *rand.Rand, a string) string {
	ls := strings.SplitAfter(a, "\n")
	var out []string
	for _, l := range ls {
		switch r.IntN(6) {
		case 0: // drop
		case 1:
			out = append(out, fmt.Sprintf("new %d\n", r.IntN(5)), l)
		default:
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

func FuzzUnified(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nB\nc\n", 3)
	f.Add("", "x\n", 0)
	f.Add("x\ny\n", "x\n", 1)
	f.Fuzz(func(t *testing.T, a, b string, context int) {
		if strings.Contains(a+b, "\r") {
			t.Skip() // lines are split on \n only; \r would still round-trip, but apply splits the same way
		}
		// Rendered manifests end in a newline; Unified gives a last line without one a newline.
		a, b = withNewline(a), withNewline(b)
		diff, _, _ := Unified([]byte(a), []byte(b), "a", "b", context%8)
		if a == b {
			if diff != "" {
				t.Fatalf("diff of equal texts: %q", diff)
			}
			return
		}
		if got := apply(t, a, diff); got != b {
			t.Fatalf("applying\n%s\nto %q gives %q, want %q", diff, a, got, b)
		}
	})
}

func withNewline(s string) string {
	if s != "" && !strings.HasSuffix(s, "\n") {
		return s + "\n"
	}
	return s
}
