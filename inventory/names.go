package inventory

import (
	"bytes"
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// ShopSetNames reads only the names of the ShopSets an inventory lists, without
// defaults or validation: for looking back over many versions of the file (the removal
// guard), where a full Parse of each would cost too much. It refuses what Parse refuses
// before it reads anything: an oversized file, a syntax error, excessive aliasing.
func ShopSetNames(file string, data []byte) ([]string, error) {
	if len(data) > maxInputSize {
		return nil, fmt.Errorf("%s: inventory is larger than the %d MiB limit", file, maxInputSize>>20)
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty inventory", file)
	}
	if at, ok := aliasExpansionWithin(&doc, maxAliasExpansion); !ok {
		return nil, fmt.Errorf("%s:%d:%d: document contains excessive aliasing", file, at.Line, at.Column)
	}
	var v struct {
		ShopSets []struct {
			Name string `yaml:"name"`
		} `yaml:"shopsets"`
	}
	if err := doc.Decode(&v); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	names := make([]string, 0, len(v.ShopSets))
	for _, s := range v.ShopSets {
		if s.Name == "" {
			return nil, fmt.Errorf("%s: %w", file, errors.New("a ShopSet without a name"))
		}
		names = append(names, s.Name)
	}
	return names, nil
}
