// Package yamlbound bounds the work a YAML document written by someone else can cause:
// a few lines of nested aliases expand to billions of nodes ("billion laughs"), which
// takes a decoder, and the process, down. The inventory parser and the render's check of
// a checkout's files measure a document's expansion before anything expands it.
//
//	if line, col, ok := yamlbound.WithinAliasExpansion(&doc, yamlbound.MaxAliasExpansion); !ok { ... }
package yamlbound

import "gopkg.in/yaml.v3"

// MaxAliasExpansion is how many nodes alias expansion may add to one document: honest
// reuse of an anchor adds a few hundred.
const MaxAliasExpansion = 100000

// WithinAliasExpansion reports whether expanding every alias in the tree at
// root adds at most limit nodes; if not, it returns the alias at which the
// limit was passed. Anchors must be defined before use, so walking in
// document order finds each alias target either already measured or still
// open, which means the alias is inside its own target and expands forever.
func WithinAliasExpansion(root *yaml.Node, limit int) (line, column int, ok bool) {
	const open = -1
	sizes := map[*yaml.Node]int{} // expanded size of each anchored node
	added := 0
	var at [2]int
	var size func(n *yaml.Node) (int, bool)
	size = func(n *yaml.Node) (int, bool) {
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return 1, true
			}
			s, seen := sizes[n.Alias]
			if !seen {
				var ok bool
				if s, ok = size(n.Alias); !ok {
					return 0, false
				}
			}
			if s == open {
				at = [2]int{n.Line, n.Column}
				return 0, false
			}
			added += s
			if added > limit {
				at = [2]int{n.Line, n.Column}
				return 0, false
			}
			return s, true
		}
		if n.Anchor != "" {
			sizes[n] = open
		}
		total := 1
		for _, c := range n.Content {
			s, ok := size(c)
			if !ok {
				return 0, false
			}
			total += s
		}
		if n.Anchor != "" {
			sizes[n] = total
		}
		return total, true
	}
	_, ok = size(root)
	return at[0], at[1], ok
}
