// Package openapi gives Kustomize only the part of the Kubernetes OpenAPI schema that one
// render needs.
//
// Kustomize parses its whole built-in schema (Kubernetes v1.21.2, 3.4 MB of protobuf) the
// first time a strategic-merge patch needs a merge key: about 90 ms, most of a render in a
// fresh process such as the plugin's. definitions.txt holds the same schema one definition
// per line, without descriptions, with each definition's kinds and references, so Subset
// can cut out the closure of the kinds a checkout mentions in well under a millisecond
// and hand Kustomize a schema document it parses in a few. The definitions are the
// built-in ones verbatim, so merges come out the same; the file is regenerated from
// Kustomize's own schema by `go test ./render/internal/openapi -update` and a test
// keeps it equal to it.
//
//	doc := openapi.Subset([]string{"Deployment", "Service"})
package openapi

import (
	"bytes"
	_ "embed"
	"slices"
	"strings"
	"sync"
)

//go:embed definitions.txt
var definitions []byte

type definition struct {
	refs   []string
	schema []byte
}

type table struct {
	byName map[string]definition
	byKind map[string][]string
}

// load indexes definitions.txt: its lines are "name<TAB>kinds<TAB>refs<TAB>schema JSON",
// kinds and refs comma-separated.
var load = sync.OnceValue(func() table {
	t := table{byName: map[string]definition{}, byKind: map[string][]string{}}
	for line := range bytes.Lines(definitions) {
		fields := bytes.SplitN(bytes.TrimSuffix(line, []byte("\n")), []byte("\t"), 4)
		if len(fields) != 4 {
			continue
		}
		name := string(fields[0])
		t.byName[name] = definition{refs: split(fields[2]), schema: fields[3]}
		for _, k := range split(fields[1]) {
			t.byKind[k] = append(t.byKind[k], name)
		}
	}
	return t
})

func split(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), ",")
}

// Subset returns a Swagger 2.0 document with every built-in definition of the given
// kinds (all groups and versions) and everything they reference. Unknown kinds, such as
// those of custom resources, add nothing: the built-in schema has nothing for them either.
func Subset(kinds []string) []byte {
	t := load()
	seen := map[string]bool{}
	var queue []string
	for _, k := range kinds {
		queue = append(queue, t.byKind[k]...)
	}
	for len(queue) > 0 {
		n := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		queue = append(queue, t.byName[n].refs...)
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)

	var b bytes.Buffer
	b.WriteString(`{"swagger":"2.0","info":{"title":"Kubernetes","version":"` + Version + `"},"paths":{},"definitions":{`)
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + n + `":`)
		b.Write(t.byName[n].schema)
	}
	b.WriteString("}}\n")
	return b.Bytes()
}
