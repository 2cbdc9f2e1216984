package plugin

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/render"
)

// Config is plugin.yaml, the ConfigManagementPlugin the sidecar is configured with.
//
//go:embed plugin.yaml
var Config []byte

// Name is the plugin's name, as Applications reference it in spec.source.plugin.name.
const Name = "shopset"

// EnvPrefix is how Argo CD prefixes an Application's plugin env: SHOPSET_NAME in the
// Application arrives as ARGOCD_ENV_SHOPSET_NAME.
const EnvPrefix = "ARGOCD_ENV_"

// EnvParameters holds the Application's plugin parameters as JSON.
const EnvParameters = "ARGOCD_APP_PARAMETERS"

// field is one ShopSet parameter: its plugin parameter name and its plugin env name.
type field struct {
	param, env string
	required   bool
	set        func(*render.ShopSet, []string)
}

var fields = []field{
	{"name", "SHOPSET_NAME", true, func(s *render.ShopSet, v []string) { s.Name = v[0] }},
	{"tier", "SHOPSET_TIER", true, func(s *render.ShopSet, v []string) { s.Tier = v[0] }},
	{"configuration", "SHOPSET_CONFIGURATION", true, func(s *render.ShopSet, v []string) { s.Configuration = v[0] }},
	{"cluster", "SHOPSET_CLUSTER", true, func(s *render.ShopSet, v []string) { s.Cluster = v[0] }},
	{"namespace", "SHOPSET_NAMESPACE", false, func(s *render.ShopSet, v []string) { s.Namespace = v[0] }},
	{"components", "SHOPSET_COMPONENTS", false, func(s *render.ShopSet, v []string) { s.Components = v }},
}

// parameter is one entry of ARGOCD_APP_PARAMETERS, as Argo CD marshals it.
type parameter struct {
	Name   string            `json:"name"`
	String *string           `json:"string,omitempty"`
	Array  []string          `json:"array,omitempty"`
	Map    map[string]string `json:"map,omitempty"`
}

// Params reads the ShopSet from the Application's plugin env and plugin parameters.
// Either source may carry any field; a field set in both must agree.
func Params(getenv func(string) string) (render.ShopSet, error) {
	params, err := parseParameters(getenv(EnvParameters))
	if err != nil {
		return render.ShopSet{}, err
	}
	var (
		s     render.ShopSet
		probs []string
	)
	for _, f := range fields {
		envVal, inEnv := listValue(f, getenv(EnvPrefix+f.env))
		paramVal, inParams := params[f.param]
		v := envVal
		switch {
		case inEnv && inParams && !slices.Equal(envVal, paramVal):
			probs = append(probs, fmt.Sprintf("%s: plugin env %s=%q and plugin parameter %q=%q disagree",
				f.param, f.env, strings.Join(envVal, ","), f.param, strings.Join(paramVal, ",")))
			continue
		case inParams:
			v = paramVal
		case !inEnv:
			if f.required {
				probs = append(probs, fmt.Sprintf("%s: missing (plugin env %s or plugin parameter %q)", f.param, f.env, f.param))
			}
			continue
		}
		for _, item := range v {
			if err := inventory.ValidDNSLabel(item); err != nil {
				probs = append(probs, fmt.Sprintf("%s: %q: %v", f.param, item, err))
			}
		}
		f.set(&s, v)
	}
	if s.Namespace == "" && s.Name != "" {
		s.Namespace = inventory.DefaultNamespace(s.Name)
	}
	if len(probs) > 0 {
		who := "shopset parameters"
		if s.Name != "" {
			who = fmt.Sprintf("shopset %q", s.Name)
		}
		return render.ShopSet{}, fmt.Errorf("%s: %s", who, strings.Join(probs, "; "))
	}
	return s, nil
}

// listValue reads an env value; only components is a list (comma-separated).
func listValue(f field, raw string) ([]string, bool) {
	if raw == "" { // Argo CD drops empty plugin env entries, so empty means unset
		return nil, false
	}
	if f.param != "components" {
		return []string{raw}, true
	}
	var out []string
	for _, item := range strings.Split(raw, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out, true
}

func parseParameters(raw string) (map[string][]string, error) {
	out := map[string][]string{}
	if strings.TrimSpace(raw) == "" {
		return out, nil
	}
	var list []parameter
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, fmt.Errorf("shopset parameters: %s is not a JSON list of parameters: %w", EnvParameters, err)
	}
	known := map[string]field{}
	for _, f := range fields {
		known[f.param] = f
	}
	for _, p := range list {
		f, ok := known[p.Name]
		if !ok {
			return nil, fmt.Errorf("shopset parameters: unknown plugin parameter %q", p.Name)
		}
		switch {
		case p.Map != nil:
			return nil, fmt.Errorf("shopset parameters: plugin parameter %q must be a string, not a map", p.Name)
		case f.param == "components" && p.String != nil:
			v, _ := listValue(f, *p.String)
			out[p.Name] = v
		case f.param == "components":
			out[p.Name] = p.Array
		case p.Array != nil:
			return nil, fmt.Errorf("shopset parameters: plugin parameter %q must be a string, not an array", p.Name)
		case p.String != nil && *p.String != "":
			out[p.Name] = []string{*p.String}
		}
	}
	return out, nil
}

// Generate renders the ShopSet described by getenv from the checkout at dir and writes
// the manifests to stdout. Nothing is written unless the whole render succeeds.
func Generate(getenv func(string) string, dir string, stdout io.Writer) error {
	s, err := Params(getenv)
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("shopset %q: opening the checkout: %w", s.Name, err)
	}
	defer root.Close()
	out, err := render.Render(root.FS(), s)
	if err != nil {
		return err
	}
	if _, err := stdout.Write(out); err != nil {
		return errors.Join(fmt.Errorf("shopset %q: writing manifests", s.Name), err)
	}
	return nil
}
