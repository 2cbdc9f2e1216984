package inventory

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// SetClusterState returns data with the named cluster's state set, changing only that
// value (or adding one state line): comments, order and layout stay as people wrote them,
// so the change reads in review as what it is. Setting a cluster without a state to
// active changes nothing; setting one to active takes its state line out (active is the
// default), so cordoning and uncordoning give back the file byte for byte.
func SetClusterState(file string, data []byte, cluster string, state ClusterState) ([]byte, error) {
	if err := validClusterState(string(state)); err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	item, known := findCluster(&doc, cluster)
	if item == nil {
		return nil, fmt.Errorf("%s: cluster %q not found (known: %s)", file, cluster, strings.Join(known, ", "))
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	offset := func(line, col int) int {
		off := 0
		for _, l := range lines[:line-1] {
			off += len(l)
		}
		return off + col - 1
	}
	var last *yaml.Node
	for i := 0; i+1 < len(item.Content); i += 2 {
		key, value := item.Content[i], item.Content[i+1]
		last = value
		if key.Value != "state" {
			continue
		}
		start := offset(value.Line, value.Column)
		end := start + scalarLength(data[start:])
		if state == StateActive {
			// Active is the default: take out what cordon put in, so that cordon and
			// uncordon give back the file byte for byte.
			keyStart := offset(key.Line, key.Column)
			lineStart := offset(key.Line, 1)
			if item.Style&yaml.FlowStyle == 0 && strings.TrimSpace(string(data[lineStart:keyStart])) == "" &&
				bytes.HasPrefix(data[end:], []byte("\n")) {
				return slices.Concat(data[:lineStart], data[end+1:]), nil
			}
			if item.Style&yaml.FlowStyle != 0 && bytes.HasSuffix(data[:keyStart], []byte(", ")) {
				return slices.Concat(data[:keyStart-2], data[end:]), nil
			}
		}
		return slices.Concat(data[:start], []byte(state), data[end:]), nil
	}
	if state == StateActive {
		return data, nil
	}
	if last == nil || last.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("%s:%d:%d: cluster %q: cannot add a state after a value that is not a plain scalar: edit it by hand",
			file, item.Line, item.Column, cluster)
	}
	if item.Style&yaml.FlowStyle != 0 {
		at := offset(last.Line, last.Column) + scalarLength(data[offset(last.Line, last.Column):])
		return slices.Concat(data[:at], []byte(", state: "+string(state)), data[at:]), nil
	}
	// A block mapping: a new line after the last one, indented like the cluster's keys.
	at := offset(last.Line, 1) + len(lines[last.Line-1])
	line := strings.Repeat(" ", item.Content[0].Column-1) + "state: " + string(state) + "\n"
	prefix := data[:at]
	if !bytes.HasSuffix(prefix, []byte("\n")) {
		line = "\n" + line
	}
	return slices.Concat(prefix, []byte(line), data[at:]), nil
}

func findCluster(doc *yaml.Node, name string) (*yaml.Node, []string) {
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil
	}
	root := doc.Content[0]
	var known []string
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "clusters" || root.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for _, item := range root.Content[i+1].Content {
			if item.Kind != yaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(item.Content); j += 2 {
				if item.Content[j].Value == "name" {
					known = append(known, item.Content[j+1].Value)
					if item.Content[j+1].Value == name {
						return item, nil
					}
				}
			}
		}
	}
	return nil, known
}

// scalarLength is the length of the scalar token at the start of b as written: quoted,
// or plain up to the end of the line, a comment, or a flow separator.
func scalarLength(b []byte) int {
	if len(b) > 0 && (b[0] == '"' || b[0] == '\'') {
		for i := 1; i < len(b); i++ {
			switch {
			case b[0] == '"' && b[i] == '\\':
				i++
			case b[i] == b[0] && b[0] == '\'' && i+1 < len(b) && b[i+1] == '\'':
				i++
			case b[i] == b[0]:
				return i + 1
			}
		}
		return len(b)
	}
	n := len(b)
	for i, c := range b {
		if c == '\n' || c == '\r' || c == ',' || c == '}' || c == ']' || (c == '#' && i > 0 && (b[i-1] == ' ' || b[i-1] == '\t')) {
			n = i
			break
		}
	}
	return len(bytes.TrimRight(b[:n], " \t"))
}
