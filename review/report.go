package review

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// MarkdownMarker opens every Markdown report, so a CI job can find and update its own
// pull request comment instead of adding one per push.
const MarkdownMarker = "<!-- shopctl-diff -->"

// MaxMarkdown bounds a Markdown report: GitHub refuses comments longer than 65536
// characters. Diffs that do not fit are cut, with a note saying so.
const MaxMarkdown = 60000

// counts tallies the report by status.
func (r *Report) counts() (changed, added, removed, failed int) {
	for _, s := range r.ShopSets {
		switch {
		case s.Err != nil:
			failed++
		case s.Status == Added:
			added++
		case s.Status == Removed:
			removed++
		default:
			changed++
		}
	}
	return
}

func (r *Report) summaryLine() string {
	changed, added, removed, failed := r.counts()
	s := fmt.Sprintf("%d changed, %d added, %d removed, %d unchanged", changed, added, removed, r.Unchanged)
	if failed > 0 {
		s += fmt.Sprintf(", %d failed to render", failed)
	}
	if len(r.Moves) > 0 {
		s += fmt.Sprintf(", %d shops moved", len(r.Moves))
	}
	return s
}

func sideName(s Side) string {
	return fmt.Sprintf("%s (inventory %.12s)", s.Label, s.InventoryCommit)
}

// WriteText writes the report as unified diffs grouped by tier (lowest first) and
// cluster, each group under a "# tier T, cluster C" line, then a summary. Lines other
// than the diffs start with "#", which patch tools skip.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	group := ""
	for _, s := range r.ShopSets {
		if g := fmt.Sprintf("# tier %s, cluster %s", s.Tier, s.Cluster); g != group {
			if group != "" {
				ew.printf("\n")
			}
			ew.printf("%s\n", g)
			group = g
		}
		ew.printf("# %s: %s%s\n", s.AppName, s.Status, lineCounts(s, "-"))
		for _, n := range s.Notes {
			ew.printf("#   %s\n", n)
		}
		if s.Err != nil {
			ew.printf("# render failed: %v\n", s.Err)
			continue
		}
		ew.printf("%s", s.Diff)
	}
	if group != "" {
		ew.printf("\n")
	}
	if len(r.Moves) > 0 {
		ew.printf("# shops that move\n")
		for _, m := range r.Moves {
			ew.printf("#   %s: %s -> %s\n", m.Host, orNone(strings.Join(m.From, ",")), orNone(strings.Join(m.To, ",")))
		}
		ew.printf("\n")
	}
	ew.printf("# %s -> %s: %s\n", sideName(r.Base), sideName(r.Head), r.summaryLine())
	if len(r.ShopSets) > 0 {
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "#   TIER\tCLUSTER\tSHOPSET\tCHANGE\tLINES\n")
		for _, s := range r.ShopSets {
			fmt.Fprintf(tw, "#   %s\t%s\t%s\t%s\t%s\n", s.Tier, s.Cluster, s.Name, statusWord(s), strings.TrimPrefix(lineCounts(s, "-"), " "))
		}
		tw.Flush()
	}
	return ew.err
}

func statusWord(s ShopSetDiff) string {
	if s.Err != nil {
		return "failed"
	}
	return string(s.Status)
}

func lineCounts(s ShopSetDiff, minus string) string {
	if s.Err != nil {
		return ""
	}
	return fmt.Sprintf(" +%d %s%d", s.Added, minus, s.Removed)
}

// WriteMarkdown writes the report as a pull request comment: a summary table, then one
// collapsed <details> section per ShopSet with its diff in a ```diff block, grouped by
// tier and cluster. It stays under MaxMarkdown characters by cutting diffs.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n### ShopSet diff: %s → %s\n\n", MarkdownMarker, mdCode(r.Base.Label), mdCode(r.Head.Label))
	fmt.Fprintf(&b, "Inventory %s → %s. **%s.**\n\n", mdCode(short(r.Base.InventoryCommit)), mdCode(short(r.Head.InventoryCommit)), r.summaryLine())
	if !r.Differs() {
		b.WriteString("No ShopSet's manifests change.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	if len(r.ShopSets) > 0 {
		b.WriteString("| Tier | Cluster | ShopSet | Change | Lines |\n|---|---|---|---|---|\n")
		for _, s := range r.ShopSets {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdCell(s.Tier), mdCell(s.Cluster), mdCode(s.Name), statusWord(s), strings.TrimPrefix(lineCounts(s, "−"), " "))
		}
		b.WriteString("\n")
	}
	if len(r.Moves) > 0 {
		b.WriteString("<details>\n<summary>Shops that move</summary>\n\n| Shop | From | To |\n|---|---|---|\n")
		for _, m := range r.Moves {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", mdCode(m.Host), mdCell(strings.Join(m.From, ", ")), mdCell(strings.Join(m.To, ", ")))
		}
		b.WriteString("\n</details>\n\n")
	}

	const cutNote = "\n*Cut to fit a comment: run `shopctl diff` for the whole diff.*\n"
	group := ""
	for i, s := range r.ShopSets {
		if g := fmt.Sprintf("#### %s · %s\n\n", mdCell(s.Tier), mdCell(s.Cluster)); g != group {
			b.WriteString(g)
			group = g
		}
		fmt.Fprintf(&b, "<details>\n<summary><code>%s</code> %s%s</summary>\n\n", htmlEscape(s.AppName), statusWord(s), lineCounts(s, "−"))
		for _, n := range s.Notes {
			fmt.Fprintf(&b, "- %s\n", mdCell(n))
		}
		if len(s.Notes) > 0 {
			b.WriteString("\n")
		}
		if s.Err != nil {
			fence := fenceFor(s.Err.Error())
			fmt.Fprintf(&b, "Render failed:\n\n%s\n%s\n%s\n", fence, s.Err, fence)
		} else {
			// Leave room for the closing lines of this and every later section.
			room := MaxMarkdown - b.Len() - 200*(len(r.ShopSets)-i) - len(cutNote)
			diff, cut := fit(s.Diff, room)
			fence := fenceFor(diff)
			fmt.Fprintf(&b, "%sdiff\n%s%s\n", fence, diff, fence)
			if cut {
				b.WriteString(cutNote)
			}
		}
		b.WriteString("\n</details>\n\n")
	}
	_, err := io.WriteString(w, strings.TrimSuffix(b.String(), "\n"))
	return err
}

// fit cuts text at a line boundary to at most room bytes.
func fit(text string, room int) (string, bool) {
	if len(text) <= room {
		return text, false
	}
	if room <= 0 {
		return "", true
	}
	cut := text[:room]
	if i := strings.LastIndexByte(cut, '\n'); i >= 0 {
		cut = cut[:i+1]
	} else {
		cut = ""
	}
	return cut, true
}

// fenceFor returns a code fence longer than any run of backticks in text.
func fenceFor(text string) string {
	longest, run := 0, 0
	for _, c := range text {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

func mdCode(s string) string {
	return "<code>" + htmlEscape(s) + "</code>"
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(htmlEscape(s))
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}
