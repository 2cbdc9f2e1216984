package cli

import (
	"fmt"
	"io"
)

// progress says what a long operation is doing on one line of stderr, rewritten in
// place, when stderr is a terminal ([Env.StderrIsTerminal]). In a pipe or a CI log it
// says nothing: there stderr carries only warnings and errors.
type progress struct {
	w     io.Writer // nil: off
	shown bool
}

func newProgress(env Env) *progress {
	if !env.StderrIsTerminal {
		return &progress{}
	}
	return &progress{w: env.Stderr}
}

// eraseLine returns the cursor to the start of the line and erases it (ANSI EL).
const eraseLine = "\r\x1b[K"

func (p *progress) say(format string, args ...any) {
	if p == nil || p.w == nil {
		return
	}
	fmt.Fprintf(p.w, eraseLine+format, args...)
	p.shown = true
}

// clear takes the line away, before anything else is written to stderr and when the
// operation ends.
func (p *progress) clear() {
	if p == nil || !p.shown {
		return
	}
	fmt.Fprint(p.w, eraseLine)
	p.shown = false
}
