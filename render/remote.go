package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/types"
	sigsyaml "sigs.k8s.io/yaml"
)

// errRemote ends every message about a reference that would leave the checkout.
const errRemote = "remote URLs are not allowed, everything must come from the checkout"

// checkKustomizations walks the kustomizations reachable from dir and refuses anything
// that would load from outside the checkout: Kustomize itself fetches http(s) URLs for
// file references, clones Git URLs for directories, and lets builtin plugin
// configurations (listed under transformers, generators and validators, as files,
// directories or inline YAML) name files and URLs of their own, whatever the filesystem.
//
// This is the first line; the second is that a rendering process has no network at all
// (see package offline), so a reference this check misses fails instead of loading.
func checkKustomizations(mem fileReader, dir string, seen map[string]bool) error {
	return (&refChecker{mem: mem, seen: seen}).kustomization(dir, false)
}

// fileReader is the part of Kustomize's filesystem the check reads.
type fileReader interface {
	Exists(path string) bool
	IsDir(path string) bool
	ReadFile(path string) ([]byte, error)
}

type refChecker struct {
	mem  fileReader
	seen map[string]bool
}

// kustomization checks the kustomization in dir. plugins says that its resources are
// plugin configurations (dir was listed under transformers, generators or validators).
func (c *refChecker) kustomization(dir string, plugins bool) error {
	key := dir
	if plugins {
		key += "\x00plugins"
	}
	if c.seen[key] {
		return nil
	}
	c.seen[key] = true
	file, k, err := readKustomization(c.mem, dir)
	if err != nil || k == nil {
		return err // no kustomization, or one Kustomize will report better
	}
	name := strings.TrimPrefix(file, "/")
	entries := pluginEntries(k)
	for _, r := range loadedPaths(k, entries) {
		if looksRemote(r.ref) {
			return fmt.Errorf("%s: %s %q: %s", name, r.field, r.ref, errRemote)
		}
	}
	for _, r := range slices.Concat(k.Resources, k.Bases, k.Components) {
		if err := c.entry(dir, name, r, plugins); err != nil {
			return err
		}
	}
	for _, e := range entries {
		if e.inline != nil {
			if err := checkPluginConfigs(fmt.Sprintf("%s: %s (inline)", name, e.field), e.inline); err != nil {
				return err
			}
			continue
		}
		if err := c.entry(dir, name, e.entry, true); err != nil {
			return err
		}
	}
	return nil
}

// pluginEntry is one entry of a kustomization's generators, transformers or validators:
// a path, or a plugin configuration written in place (inline, parsed).
type pluginEntry struct {
	field, entry string
	inline       []map[string]any
}

// pluginEntries lists a kustomization's plugin entries, each parsed once.
func pluginEntries(k *types.Kustomization) []pluginEntry {
	var out []pluginEntry
	for _, list := range []struct {
		field   string
		entries []string
	}{{"generators", k.Generators}, {"transformers", k.Transformers}, {"validators", k.Validators}} {
		for _, e := range list.entries {
			docs, _ := inlineConfig(e)
			out = append(out, pluginEntry{field: list.field, entry: e, inline: docs})
		}
	}
	return out
}

// entry checks one path a kustomization lists: a file, or a directory with a
// kustomization. plugins says that what it holds are plugin configurations.
func (c *refChecker) entry(dir, kustFile, r string, plugins bool) error {
	if looksRemote(r) {
		return fmt.Errorf("%s: %q: %s", kustFile, r, errRemote)
	}
	target := path.Join(dir, r)
	if !c.mem.Exists(target) {
		if hostLike(r) {
			return fmt.Errorf("%s: %q: %s", kustFile, r, errRemote)
		}
		return fmt.Errorf("%s: %q not found in the checkout", kustFile, r)
	}
	if c.mem.IsDir(target) {
		return c.kustomization(target, plugins)
	}
	if !plugins {
		return nil
	}
	b, err := c.mem.ReadFile(target)
	if err != nil {
		return fmt.Errorf("reading %s: %w", strings.TrimPrefix(target, "/"), err)
	}
	docs, err := yamlDocuments(b)
	if err != nil {
		return nil // Kustomize reports malformed YAML with its own words
	}
	return checkPluginConfigs(strings.TrimPrefix(target, "/"), docs)
}

// inlineConfig reports whether a transformers/generators/validators entry is a plugin
// configuration written in place rather than a path, as Kustomize decides it: the entry
// parses as YAML objects.
func inlineConfig(entry string) ([]map[string]any, bool) {
	docs, err := yamlDocuments([]byte(entry))
	if err != nil || len(docs) == 0 {
		return nil, false
	}
	return docs, true
}

// yamlDocuments parses a YAML stream into its mappings; a document that is not a mapping
// makes the stream not a set of objects.
func yamlDocuments(b []byte) ([]map[string]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []map[string]any
	for {
		var doc any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if doc == nil {
			continue
		}
		m, ok := doc.(map[string]any)
		if !ok {
			return nil, errors.New("not an object")
		}
		out = append(out, m)
	}
}

// pluginFileFields are the fields of Kustomize's builtin plugin configurations whose
// strings it loads as files, or fetches as URLs: PatchTransformer and
// PatchJson6902Transformer path, PatchStrategicMergeTransformer paths, the generators'
// files, envs and env, ReplacementTransformer's replacements[].path,
// HelmChartInflationGenerator's repo, chartHome and values files. They are found at any
// depth, so a field nested in a list counts.
var pluginFileFields = map[string]bool{
	"path": true, "paths": true, "files": true, "envs": true, "env": true,
	"repo": true, "chartHome": true, "valuesFile": true, "additionalValuesFiles": true,
}

// checkPluginConfigs refuses plugin configurations (from file where) that name a URL.
func checkPluginConfigs(where string, docs []map[string]any) error {
	for _, d := range docs {
		kind, _ := d["kind"].(string)
		name := ""
		if md, ok := d["metadata"].(map[string]any); ok {
			name, _ = md["name"].(string)
		}
		if field, ref, found := remoteField(d, ""); found {
			return fmt.Errorf("%s: %s %q: %s %q: %s", where, kind, name, field, ref, errRemote)
		}
	}
	return nil
}

// remoteField finds, depth first and in key order, a file field of v whose value looks
// remote, and gives its dotted path.
func remoteField(v any, at string) (field, ref string, found bool) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if at != "" {
				p = at + "." + k
			}
			if pluginFileFields[k] {
				for _, s := range fileRefs(v[k]) {
					if looksRemote(s) {
						return p, s, true
					}
				}
			}
			if f, r, ok := remoteField(v[k], p); ok {
				return f, r, true
			}
		}
	case []any:
		for i, e := range v {
			if f, r, ok := remoteField(e, fmt.Sprintf("%s[%d]", at, i)); ok {
				return f, r, true
			}
		}
	}
	return "", "", false
}

// fileRefs lists the strings of a file field: one string or a list of them, a
// generator's "key=path" read as its path.
func fileRefs(v any) []string {
	var out []string
	add := func(s string) {
		out = append(out, s)
		if _, p, ok := strings.Cut(s, "="); ok {
			out = append(out, p)
		}
	}
	switch v := v.(type) {
	case string:
		add(v)
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				add(s)
			}
		}
	}
	return out
}

func readKustomization(mem fileReader, dir string) (string, *types.Kustomization, error) {
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		file := path.Join(dir, n)
		if !mem.Exists(file) {
			continue
		}
		b, err := mem.ReadFile(file)
		if err != nil {
			return "", nil, fmt.Errorf("reading %s: %w", strings.TrimPrefix(file, "/"), err)
		}
		var k types.Kustomization
		if err := sigsyaml.Unmarshal(b, &k); err != nil {
			return file, nil, nil
		}
		k.FixKustomization()
		return file, &k, nil
	}
	return "", nil, nil
}

type ref struct{ field, ref string }

// loadedPaths lists every entry of a kustomization that Kustomize resolves to a file,
// a directory or a URL (inline YAML aside); plugins are its pluginEntries.
func loadedPaths(k *types.Kustomization, plugins []pluginEntry) []ref {
	var out []ref
	add := func(field string, refs ...string) {
		for _, r := range refs {
			if r != "" && !strings.Contains(r, "\n") { // inline YAML is not a path
				out = append(out, ref{field, r})
			}
		}
	}
	add("resources", k.Resources...)
	add("bases", k.Bases...)
	add("components", k.Components...)
	add("crds", k.Crds...)
	add("configurations", k.Configurations...)
	for _, e := range plugins {
		if e.inline == nil {
			add(e.field, e.entry)
		}
	}
	add("openapi", k.OpenAPI["path"])
	for _, p := range k.PatchesStrategicMerge {
		add("patchesStrategicMerge", string(p))
	}
	for _, p := range slices.Concat(k.Patches, k.PatchesJson6902) {
		add("patches", p.Path)
	}
	for _, r := range k.Replacements {
		add("replacements", r.Path)
	}
	for _, g := range k.ConfigMapGenerator {
		add("configMapGenerator", generatorPaths(g.GeneratorArgs)...)
	}
	for _, g := range k.SecretGenerator {
		add("secretGenerator", generatorPaths(g.GeneratorArgs)...)
	}
	for _, h := range k.HelmCharts {
		add("helmCharts", h.Repo, h.ValuesFile)
		add("helmCharts", h.AdditionalValuesFiles...)
	}
	if k.HelmGlobals != nil {
		add("helmGlobals", k.HelmGlobals.ChartHome)
	}
	return out
}

func generatorPaths(g types.GeneratorArgs) []string {
	out := slices.Clone(g.EnvSources)
	for _, f := range g.FileSources {
		if _, p, ok := strings.Cut(f, "="); ok {
			f = p
		}
		out = append(out, f)
	}
	return out
}

// gitUser is the "user@" that Kustomize reads as the start of an scp-style Git address.
var gitUser = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)

// looksRemote reports whether Kustomize would fetch ref over the network: a URL (any
// scheme, any case), or anything its Git address parser accepts: a "git::" prefix, a
// "user@" start, a github.com host, a query. Kustomize tries a directory reference as a
// Git address before the filesystem, so this holds even for a path that exists.
func looksRemote(ref string) bool {
	l := strings.ToLower(ref)
	return strings.Contains(l, "://") || strings.HasPrefix(l, "git::") || gitUser.MatchString(ref) ||
		strings.HasPrefix(l, "github.com/") || strings.HasPrefix(l, "github.com:") ||
		strings.Contains(l, "?ref=") || strings.Contains(l, "?version=") || strings.Contains(l, "?timeout=") ||
		strings.Contains(l, "?submodules=")
}

// hostLike reports whether a missing resource reads as host/path, like
// example.com/org/repo/dir, which Kustomize would try to clone.
func hostLike(ref string) bool {
	host, _, found := strings.Cut(ref, "/")
	return found && strings.Contains(host, ".") && !strings.HasPrefix(host, ".")
}
