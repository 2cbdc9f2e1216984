package inventory

import (
	"strconv"
	"strings"
)

// Error is one problem in an inventory, located like a compiler diagnostic.
type Error struct {
	File   string
	Line   int // 1-based; 0 when the problem has no position (e.g. an empty file)
	Column int // 1-based; 0 when unknown
	Field  string
	Msg    string
}

// Error formats e as "file:line:col: field: msg", leaving out the parts that
// are unknown.
func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one inventory, in file order.
type Errors []Error

// Error puts each problem on its own line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}
