package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	openapiv2 "github.com/google/gnostic-models/openapiv2"
	"google.golang.org/protobuf/proto"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"sigs.k8s.io/kustomize/kyaml/openapi/kubernetesapi"
)

// Version is the Kubernetes version of Kustomize's default built-in schema.
const Version = kubernetesapi.DefaultOpenAPI

// Generate renders definitions.txt from Kustomize's built-in schema.
func Generate() ([]byte, error) {
	asset := filepath.Join("kubernetesapi", strings.ReplaceAll(Version, ".", "_"), "swagger.pb")
	doc := &openapiv2.Document{}
	if err := proto.Unmarshal(kubernetesapi.OpenAPIMustAsset[Version](asset), doc); err != nil {
		return nil, fmt.Errorf("reading Kustomize's built-in schema: %w", err)
	}
	var swagger spec.Swagger
	if _, err := swagger.FromGnostic(doc); err != nil {
		return nil, fmt.Errorf("reading Kustomize's built-in schema: %w", err)
	}
	names := make([]string, 0, len(swagger.Definitions))
	for n := range swagger.Definitions {
		names = append(names, n)
	}
	slices.Sort(names)
	var out bytes.Buffer
	for _, n := range names {
		s := swagger.Definitions[n]
		refs := map[string]bool{}
		strip(&s, refs)
		js, err := json.Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("definition %s: %w", n, err)
		}
		fmt.Fprintf(&out, "%s\t%s\t%s\t%s\n", n, strings.Join(kinds(s), ","), strings.Join(sortedKeys(refs), ","), js)
	}
	return out.Bytes(), nil
}

// strip removes descriptions (most of the schema's bytes, and nothing a merge reads) and
// collects the definitions s references.
func strip(s *spec.Schema, refs map[string]bool) {
	if s == nil {
		return
	}
	s.Description = ""
	if r := s.Ref.String(); r != "" {
		refs[strings.TrimPrefix(r, "#/definitions/")] = true
	}
	for k, p := range s.Properties {
		strip(&p, refs)
		s.Properties[k] = p
	}
	if s.Items != nil {
		strip(s.Items.Schema, refs)
		for i := range s.Items.Schemas {
			strip(&s.Items.Schemas[i], refs)
		}
	}
	if s.AdditionalProperties != nil {
		strip(s.AdditionalProperties.Schema, refs)
	}
	for _, list := range [][]spec.Schema{s.AllOf, s.AnyOf, s.OneOf} {
		for i := range list {
			strip(&list[i], refs)
		}
	}
}

func kinds(s spec.Schema) []string {
	gvks, ok := s.Extensions["x-kubernetes-group-version-kind"].([]any)
	if !ok {
		return nil
	}
	var out []string
	for _, g := range gvks {
		if m, ok := g.(map[string]any); ok {
			if k, ok := m["kind"].(string); ok && !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
