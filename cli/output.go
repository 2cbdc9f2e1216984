package cli

import (
	"encoding/json"
	"io"

	sigsyaml "sigs.k8s.io/yaml"
)

// printStructured prints v as JSON or YAML (by its JSON field names, as kubectl does)
// and reports whether output was one of those.
func printStructured(w io.Writer, output string, v any) (bool, error) {
	switch output {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return true, enc.Encode(v)
	case "yaml":
		b, err := sigsyaml.Marshal(v)
		if err != nil {
			return true, err
		}
		_, err = w.Write(b)
		return true, err
	}
	return false, nil
}
