package plugin

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/policy"
	"github.com/shopset/shopset/render"
	"github.com/shopset/shopset/routing"
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
	// list fields take a comma-separated plugin env and a string or an array parameter.
	list bool
	// check reports what is wrong with one value; nil means inventory.ValidDNSLabel.
	check func(string) error
	set   func(*render.ShopSet, []string)
}

// Modes: a ShopSet's manifests, or the routing table from a checkout of the inventory.
const (
	ModeShopSet = "shopset"
	ModeRouting = "routing"
)

// Routing-mode settings, as plugin env names (parameter names are the part after SHOPSET_,
// lower case).
const (
	envMode      = "SHOPSET_MODE"
	envInventory = "SHOPSET_INVENTORY"
	envPreviews  = "SHOPSET_PREVIEWS"
)

var fields = []field{
	{"name", "SHOPSET_NAME", true, false, nil, func(s *render.ShopSet, v []string) { s.Name = v[0] }},
	{"tier", "SHOPSET_TIER", true, false, nil, func(s *render.ShopSet, v []string) { s.Tier = v[0] }},
	{"configuration", "SHOPSET_CONFIGURATION", true, false, nil, func(s *render.ShopSet, v []string) { s.Configuration = v[0] }},
	{"cluster", "SHOPSET_CLUSTER", true, false, nil, func(s *render.ShopSet, v []string) { s.Cluster = v[0] }},
	{"namespace", "SHOPSET_NAMESPACE", false, false, nil, func(s *render.ShopSet, v []string) { s.Namespace = v[0] }},
	{"components", "SHOPSET_COMPONENTS", false, true, nil, func(s *render.ShopSet, v []string) { s.Components = v }},
	{"maxMemoryLimit", "SHOPSET_MAX_MEMORY_LIMIT", false, false, inventory.ValidMemoryLimit,
		func(s *render.ShopSet, v []string) { s.MaxMemoryLimit = v[0] }},
	// Unset means none: the render refuses every cluster-scoped object.
	{"allowClusterScoped", "SHOPSET_ALLOW_CLUSTER_SCOPED", false, true, inventory.ValidKind,
		func(s *render.ShopSet, v []string) { s.AllowClusterScoped = v }},
}

// extraParams are the plugin parameters a ShopSet render does not use but a routing
// render does.
var extraParams = map[string]string{"mode": envMode, "inventory": envInventory, "previews": envPreviews}

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
		check := f.check
		if check == nil {
			check = inventory.ValidDNSLabel
		}
		for _, item := range v {
			if err := check(item); err != nil {
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

// listValue reads an env value; a list field's is comma-separated.
func listValue(f field, raw string) ([]string, bool) {
	if raw == "" { // Argo CD drops empty plugin env entries, so empty means unset
		return nil, false
	}
	if !f.list {
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
	for name, env := range extraParams {
		known[name] = field{param: name, env: env, list: env == envPreviews}
	}
	for _, p := range list {
		f, ok := known[p.Name]
		if !ok {
			return nil, fmt.Errorf("shopset parameters: unknown plugin parameter %q", p.Name)
		}
		switch {
		case p.Map != nil:
			return nil, fmt.Errorf("shopset parameters: plugin parameter %q must be a string, not a map", p.Name)
		case f.list && p.String != nil:
			v, _ := listValue(f, *p.String)
			out[p.Name] = v
		case f.list:
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
// the manifests to stdout; in routing mode (SHOPSET_MODE=routing) it renders the routing
// table from the inventory in the checkout instead. When the checkout has policies/, the
// manifests are checked against them: a deny fails the render with every violation in
// the error, warnings and exemptions go to stderr. Nothing is written to stdout unless
// the whole render succeeds.
func Generate(ctx context.Context, getenv func(string) string, dir string, stdout, stderr io.Writer) error {
	params, err := parseParameters(getenv(EnvParameters))
	if err != nil {
		return err
	}
	mode, err := setting(getenv, params, "mode", envMode, ModeShopSet)
	if err != nil {
		return err
	}
	switch mode {
	case ModeShopSet:
	case ModeRouting:
		return generateRouting(getenv, params, dir, stdout)
	default:
		return fmt.Errorf("shopset parameters: mode %q is not %q or %q", mode, ModeShopSet, ModeRouting)
	}
	s, err := Params(getenv)
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("shopset %q: opening the checkout: %w", s.Name, err)
	}
	defer root.Close()
	out, res, err := renderBounded(ctx, root.FS(), s)
	res.Report(stderr, s.Name)
	if err != nil {
		return err
	}
	if _, err := stdout.Write(out); err != nil {
		return errors.Join(fmt.Errorf("shopset %q: writing manifests", s.Name), err)
	}
	return nil
}

// Timeout bounds one render. Argo CD ends a plugin command at its own exec timeout (90 s
// by default) with only "signal: killed" to show; this ends it earlier with the ShopSet's
// name and what it was doing.
const Timeout = 45 * time.Second

// renderBounded renders and checks s, and gives up when ctx ends (a SIGTERM from the
// sidecar, or Timeout): Kustomize takes no context, so the render is left to run in the
// background of a process that is about to exit.
func renderBounded(ctx context.Context, checkout fs.FS, s render.ShopSet) ([]byte, policy.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	type result struct {
		out []byte
		res policy.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, res, err := policy.Render(ctx, checkout, s)
		done <- result{out, res, err}
	}()
	select {
	case r := <-done:
		return r.out, r.res, r.err
	case <-ctx.Done():
		return nil, policy.Result{}, fmt.Errorf("shopset %q: render stopped: %w", s.Name, context.Cause(ctx))
	}
}

// setting reads a single-valued setting from the plugin env or the plugin parameters.
func setting(getenv func(string) string, params map[string][]string, param, env, def string) (string, error) {
	e := getenv(EnvPrefix + env)
	p := strings.Join(params[param], ",")
	switch {
	case e != "" && p != "" && e != p:
		return "", fmt.Errorf("shopset parameters: %s: plugin env %s=%q and plugin parameter %q=%q disagree", param, env, e, param, p)
	case p != "":
		return p, nil
	case e != "":
		return e, nil
	}
	return def, nil
}

// generateRouting renders the routing table from the inventory in the checkout at dir:
// a routing Application's source is the inventory's branch, not a tier's.
func generateRouting(getenv func(string) string, params map[string][]string, dir string, stdout io.Writer) error {
	get := func(param, env, def string) (string, error) { return setting(getenv, params, param, env, def) }
	cluster, err := get("cluster", "SHOPSET_CLUSTER", "")
	if err != nil {
		return err
	}
	if cluster == "" {
		return errors.New("routing table: cluster: missing (plugin env SHOPSET_CLUSTER or plugin parameter \"cluster\")")
	}
	namespace, err := get("namespace", "SHOPSET_NAMESPACE", routing.DefaultNamespace)
	if err != nil {
		return err
	}
	invPath, err := get("inventory", envInventory, inventory.DefaultPath)
	if err != nil {
		return err
	}
	for _, v := range []string{cluster, namespace} {
		if err := inventory.ValidDNSLabel(v); err != nil {
			return fmt.Errorf("routing table: %q: %w", v, err)
		}
	}
	if !fs.ValidPath(invPath) {
		return fmt.Errorf("routing table: inventory path %q must be a relative path inside the checkout", invPath)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("routing table: opening the checkout: %w", err)
	}
	defer root.Close()
	data, err := root.ReadFile(invPath)
	if err != nil {
		return fmt.Errorf("routing table: reading %s: %w", invPath, err)
	}
	inv, err := inventory.ParseFiles(invPath, data, func(name string) ([]byte, error) {
		return root.ReadFile(path.Join(path.Dir(invPath), name))
	})
	if err != nil {
		return err
	}
	list, err := get("previews", envPreviews, "")
	if err != nil {
		return err
	}
	var previews []string
	if list != "" {
		previews = strings.Split(list, ",")
	}
	out, err := routing.Render(inv, cluster, namespace, previews)
	if err != nil {
		return err
	}
	if _, err := stdout.Write(out); err != nil {
		return errors.Join(errors.New("routing table: writing manifests"), err)
	}
	return nil
}
