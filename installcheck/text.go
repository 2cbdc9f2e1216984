package installcheck

import (
	"fmt"
	"io"
	"strings"
)

// WriteText prints r for a person: the checks by group, each failure and warning with
// the line that says what to do, and a summary.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	group := ""
	for _, c := range r.Checks {
		if c.Group != group {
			group = c.Group
			fmt.Fprintln(&b, group)
		}
		mark := map[Status]string{OK: "ok", Warn: "WARN", Fail: "FAIL"}[c.Status]
		fmt.Fprintf(&b, "  %-4s  %s: %s\n", mark, c.Name, c.Message)
		if c.Fix != "" {
			fmt.Fprintf(&b, "        fix: %s\n", c.Fix)
		}
	}
	if r.Pre {
		fmt.Fprintf(&b, "\nArgo CD in namespace %s, before shopset's install: %s\n", r.Namespace, r.summary())
	} else {
		fmt.Fprintf(&b, "\nshopset's install in namespace %s: %s\n", r.Namespace, r.summary())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// summary says "all 14 checks passed", "14 checks, 2 warnings, none failed", "1 of 14
// checks failed, 2 warnings".
func (r Report) summary() string {
	plural := func(n int, word string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, word)
		}
		return fmt.Sprintf("%d %ss", n, word)
	}
	switch {
	case r.Failed > 0 && r.Warnings > 0:
		return fmt.Sprintf("%d of %s failed, %s", r.Failed, plural(len(r.Checks), "check"), plural(r.Warnings, "warning"))
	case r.Failed > 0:
		return fmt.Sprintf("%d of %s failed", r.Failed, plural(len(r.Checks), "check"))
	case r.Warnings > 0:
		return fmt.Sprintf("%s, %s, none failed", plural(len(r.Checks), "check"), plural(r.Warnings, "warning"))
	}
	return fmt.Sprintf("all %s passed", plural(len(r.Checks), "check"))
}
