package render

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	kyamlopenapi "sigs.k8s.io/kustomize/kyaml/openapi"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/shopset/shopset/internal/yamlbound"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/render/internal/openapi"
)

// Label keys set on every rendered object.
const (
	LabelName          = "shopset.io/name"
	LabelTier          = "shopset.io/tier"
	LabelConfiguration = "shopset.io/configuration"
	LabelCluster       = "shopset.io/cluster"
)

// Directories of a tier checkout, by convention.
const (
	AppsDir           = "apps"
	ConfigurationsDir = "configurations"
	ComponentsDir     = "components"
)

// overlayDir is where the synthesised kustomization lives in the in-memory copy of the
// checkout. A checkout that already has it is refused rather than silently shadowed.
const overlayDir = ".shopset-overlay"

// Bounds of what a render copies from a checkout into memory: bytes, and entries (files,
// directories and links, so a fan-out of directory links inside the checkout ends in an
// error in a second rather than copying for minutes).
const (
	MaxCheckoutBytes   = 256 << 20
	MaxCheckoutEntries = 100000
	// MaxManifestFileBytes bounds one YAML or JSON file: Kubernetes keeps no object
	// over 1.5 MB, and Kustomize's parse of a file of tens of megabytes runs for minutes.
	MaxManifestFileBytes = 4 << 20
)

// maxSymlinkDepth bounds directory symlinks followed inside each other, so a loop of
// links inside the checkout ends in an error instead of a stack overflow.
const maxSymlinkDepth = 16

// ShopSet holds the parameters one render needs.
type ShopSet struct {
	Name          string
	Namespace     string
	Tier          string
	Configuration string
	Cluster       string
	Components    []string
	// MaxMemoryLimit is the configuration's maximum container memory limit, a Kubernetes
	// quantity or "". The render does not use it: policies read it as
	// data.shopset.maxMemoryLimit.
	MaxMemoryLimit string
	// AllowClusterScoped lists the kinds the render may yield as cluster-scoped objects
	// (the inventory's allowClusterScoped); the render fails on any other.
	AllowClusterScoped []string
}

// FromInventory returns the parameters of the inventory's ShopSet s.
func FromInventory(inv *inventory.Inventory, s inventory.ShopSet) ShopSet {
	return ShopSet{
		Name: s.Name, Namespace: s.Namespace, Tier: s.Tier,
		Configuration: s.Configuration, Cluster: s.Cluster, Components: s.Components,
		MaxMemoryLimit: inv.MaxMemoryLimit(s), AllowClusterScoped: inv.AllowClusterScoped,
	}
}

// Render builds the ShopSet's manifests from a tier checkout and returns them as a YAML
// stream. Errors name the ShopSet and, where Kustomize or the safety checks know it, the
// file of the checkout at fault.
func Render(checkout fs.FS, s ShopSet) ([]byte, error) {
	m, err := RenderManifests(checkout, s)
	return m.YAML, err
}

// Manifests is what a render gives.
type Manifests struct {
	// YAML is the YAML stream Render returns.
	YAML []byte
	// JSON holds every object of YAML, in the same order, as JSON: Kustomize encodes each
	// object as JSON and converts that to YAML, so this is the same object, for readers
	// (policy checks) that need not parse the YAML again.
	JSON [][]byte
}

// RenderManifests is Render, giving each object as JSON too.
func RenderManifests(checkout fs.FS, s ShopSet) (Manifests, error) {
	m, err := render(checkout, s, true)
	if err != nil {
		return Manifests{}, fmt.Errorf("shopset %q: %w", s.Name, err)
	}
	return m, nil
}

// render does the work of Render; subsetSchema=false leaves Kustomize on its whole
// built-in schema, which tests use to prove the subset changes nothing.
func render(checkout fs.FS, s ShopSet, subsetSchema bool) (Manifests, error) {
	p, err := prepare(checkout, s)
	if err != nil {
		return Manifests{}, err
	}
	if subsetSchema {
		if err := p.useSchemaSubset(s); err != nil {
			return Manifests{}, err
		}
	}
	return build(p.mem, "/"+overlayDir, s.AllowClusterScoped)
}

// prepared is a checkout copied into memory with the ShopSet's overlay written and
// checked: everything before the Kustomize build.
type prepared struct {
	mem   filesys.FileSystem
	kinds []string // the kinds the checkout mentions
}

func prepare(checkout fs.FS, s ShopSet) (*prepared, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	mem, kinds, err := copyCheckout(checkout)
	if err != nil {
		return nil, err
	}
	if mem.Exists("/" + overlayDir) {
		return nil, fmt.Errorf("the checkout has a %s entry, a name reserved for the rendered overlay", overlayDir)
	}
	if err := requireDir(mem, AppsDir, "base"); err != nil {
		return nil, err
	}
	if err := requireDir(mem, path.Join(ConfigurationsDir, s.Configuration), fmt.Sprintf("configuration %q", s.Configuration)); err != nil {
		return nil, err
	}
	for _, c := range s.Components {
		if err := requireDir(mem, path.Join(ComponentsDir, c), fmt.Sprintf("component %q", c)); err != nil {
			return nil, err
		}
	}
	p := &prepared{mem: mem, kinds: kinds}
	if err := p.writeOverlay(overlayKustomization(s)); err != nil {
		return nil, err
	}
	if err := checkKustomizations(mem, "/"+overlayDir, map[string]bool{}); err != nil {
		return nil, err
	}
	return p, nil
}

// useSchemaSubset points the overlay at the part of Kustomize's built-in schema this
// checkout's kinds need.
func (p *prepared) useSchemaSubset(s ShopSet) error {
	if err := p.mem.WriteFile("/"+overlayDir+"/"+schemaFile, openapi.Subset(p.kinds)); err != nil {
		return fmt.Errorf("writing overlay: %w", err)
	}
	k := overlayKustomization(s)
	k.OpenAPI = map[string]string{"path": schemaFile}
	return p.writeOverlay(k)
}

func (p *prepared) writeOverlay(k types.Kustomization) error {
	b, err := sigsyaml.Marshal(k)
	if err != nil {
		return fmt.Errorf("writing overlay: %w", err)
	}
	if err := p.mem.WriteFile("/"+overlayDir+"/kustomization.yaml", b); err != nil {
		return fmt.Errorf("writing overlay: %w", err)
	}
	return nil
}

func (s ShopSet) validate() error {
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"name", s.Name}, {"namespace", s.Namespace}, {"tier", s.Tier},
		{"configuration", s.Configuration}, {"cluster", s.Cluster},
	} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing parameter(s): %s", strings.Join(missing, ", "))
	}
	// Configuration and component names become paths; keep them single path elements.
	for _, n := range append([]string{s.Configuration}, s.Components...) {
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, `/\`) {
			return fmt.Errorf("invalid configuration or component name %q", n)
		}
	}
	return nil
}

func requireDir(mem filesys.FileSystem, dir, what string) error {
	if !mem.IsDir("/" + dir) {
		return fmt.Errorf("%s: directory %s/ not found in the checkout", what, dir)
	}
	return nil
}

// Overlay returns the kustomization Render synthesises for s, for a person to read or to
// build with the kustomize CLI from a directory beside the checkout's apps/.
func Overlay(s ShopSet) ([]byte, error) {
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("shopset %q: %w", s.Name, err)
	}
	out, err := sigsyaml.Marshal(overlayKustomization(s))
	if err != nil {
		return nil, fmt.Errorf("shopset %q: writing overlay: %w", s.Name, err)
	}
	return out, nil
}

// OverlayDir is the directory, beside apps/, that the overlay's relative paths assume.
const OverlayDir = overlayDir

// schemaFile is the overlay's OpenAPI schema: the part of Kustomize's built-in schema
// that this checkout's kinds need (see render/internal/openapi).
const schemaFile = "openapi.json"

// overlayKustomization is the kustomization synthesised for one ShopSet.
func overlayKustomization(s ShopSet) types.Kustomization {
	k := types.Kustomization{
		TypeMeta:  types.TypeMeta{APIVersion: types.KustomizationVersion, Kind: types.KustomizationKind},
		Resources: []string{"../" + AppsDir},
		Namespace: s.Namespace,
		Labels: []types.Label{{
			Pairs: map[string]string{
				LabelName:          s.Name,
				LabelTier:          s.Tier,
				LabelConfiguration: s.Configuration,
				LabelCluster:       s.Cluster,
			},
			// Selectors are immutable on Deployments: a label there would make a tier
			// move impossible to sync. Pod templates carry them for kubectl -l.
			IncludeSelectors: false,
			IncludeTemplates: true,
		}},
	}
	k.Components = append(k.Components, "../"+ConfigurationsDir+"/"+s.Configuration)
	for _, c := range s.Components {
		k.Components = append(k.Components, "../"+ComponentsDir+"/"+c)
	}
	return k
}

// buildMu serialises Kustomize builds: krusty keeps process-wide state (its OpenAPI
// schema) that concurrent builds race on. It guards Kustomize, not this package.
var buildMu sync.Mutex

func build(mem filesys.FileSystem, dir string, allowClusterScoped []string) (Manifests, error) {
	return guarded(func() (Manifests, error) { return kustomize(mem, dir, allowClusterScoped) })
}

// guarded runs f alone and turns a panic in it into an error: Kustomize panics on some
// malformed input, and one bad ShopSet must not take the process with it.
func guarded[T any](f func() (T, error)) (T, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	return recovered(f)
}

// recovered turns a panic in f into an error, for callers that hold buildMu already.
func recovered[T any](f func() (T, error)) (out T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			out, err = zero, fmt.Errorf("kustomize build panicked: %v", r)
		}
	}()
	return f()
}

func kustomize(mem filesys.FileSystem, dir string, allowClusterScoped []string) (Manifests, error) {
	// Each build starts from an empty schema, so no render depends on what an earlier one
	// in the same process loaded.
	kyamlopenapi.ResetOpenAPI()
	return krustyBuild(mem, dir, allowClusterScoped)
}

// krustyBuild runs Kustomize with whatever schema is loaded, and refuses cluster-scoped
// objects of kinds not in allowClusterScoped.
func krustyBuild(mem filesys.FileSystem, dir string, allowClusterScoped []string) (Manifests, error) {
	opts := krusty.MakeDefaultOptions() // root-only loading, plugins disabled
	// Unspecified means what `kustomize build` does: the kustomization's sortOptions,
	// else the legacy order, so our output matches the CLI people compare it with.
	opts.Reorder = krusty.ReorderOptionUnspecified
	m, err := krusty.MakeKustomizer(opts).Run(mem, dir)
	if err != nil {
		return Manifests{}, fmt.Errorf("kustomize build: %w", err)
	}
	if m.Size() == 0 {
		return Manifests{}, errors.New("the render produced no objects")
	}
	if err := checkClusterScoped(m, allowClusterScoped); err != nil {
		return Manifests{}, err
	}
	return encode(m)
}

// checkClusterScoped refuses the cluster-scoped objects of m whose kind is not in allow.
// The overlay's namespace transformer sets the ShopSet's namespace on every object of a
// kind Kustomize does not know to be cluster-scoped, so an object left without a namespace
// is cluster-scoped; so is an object of a kind Kustomize knows to be cluster-scoped even
// when the checkout wrote a namespace on it (a ClusterRole with one is still applied
// cluster-wide). Runs with the schema the build used, which decided the namespaces.
func checkClusterScoped(m resmap.ResMap, allow []string) error {
	var refused []string
	for _, r := range m.Resources() {
		if r.GetNamespace() != "" && !r.GetGvk().IsClusterScoped() || slices.Contains(allow, r.GetKind()) {
			continue
		}
		refused = append(refused, r.GetKind()+"/"+r.GetName())
	}
	if len(refused) == 0 {
		return nil
	}
	verb := "is"
	if len(refused) > 1 {
		verb = "are"
	}
	allowed := "none"
	if len(allow) > 0 {
		allowed = "only " + strings.Join(allow, ", ")
	}
	return fmt.Errorf("%s %s cluster-scoped; shopsets.yaml allows %s (allowClusterScoped)", strings.Join(refused, ", "), verb, allowed)
}

// encode writes the objects as ResMap.AsYaml does, byte for byte (each object's JSON
// converted to YAML, "---" between them), keeping each object's JSON on the way.
func encode(m resmap.ResMap) (Manifests, error) {
	var buf bytes.Buffer
	out := Manifests{JSON: make([][]byte, 0, m.Size())}
	for i, r := range m.Resources() {
		js, err := r.MarshalJSON()
		if err != nil {
			return Manifests{}, fmt.Errorf("encoding manifests: %s: %w", r.CurId(), err)
		}
		y, err := sigsyaml.JSONToYAML(js)
		if err != nil {
			return Manifests{}, fmt.Errorf("encoding manifests: %s: %w", r.CurId(), err)
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(y)
		out.JSON = append(out.JSON, js)
	}
	out.YAML = buf.Bytes()
	return out, nil
}

// copyCheckout copies the checkout into memory, skipping .git. Symlinks are followed only
// while they stay inside the checkout, so nothing outside it can ever be loaded. It also
// returns every kind the checkout's YAML and JSON files mention.
func copyCheckout(checkout fs.FS) (filesys.FileSystem, []string, error) {
	// Generators make ConfigMaps and Secrets that no file names.
	c := copier{src: checkout, dst: filesys.MakeFsInMemory(), kinds: map[string]bool{"ConfigMap": true, "Secret": true}}
	if err := c.copyTree(".", ".", 0); err != nil {
		return nil, nil, err
	}
	kinds := make([]string, 0, len(c.kinds))
	for k := range c.kinds {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return c.dst, kinds, nil
}

type copier struct {
	src     fs.FS
	dst     filesys.FileSystem
	bytes   int64
	entries int
	kinds   map[string]bool
}

// kindPattern finds kinds in YAML ("kind: Deployment", at any depth, so List items and
// patches count) and JSON ("kind": "Deployment"). Finding too many only adds schema.
var kindPattern = regexp.MustCompile(`(?m)(?:^[\s-]*kind:[ \t]*["']?|"kind"\s*:\s*")([A-Za-z][A-Za-z0-9]*)`)

// copyTree copies the tree at src (a path in the checkout) to dst (its path in memory:
// different from src only under a symlinked directory).
func (c *copier) copyTree(src, dst string, depth int) error {
	return fs.WalkDir(c.src, src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading checkout: %w", err)
		}
		to := path.Join("/", dst, relative(src, p))
		if c.entries++; c.entries > MaxCheckoutEntries {
			return fmt.Errorf("the checkout has more than %d files, directories and links (counting those reached through directory links)", MaxCheckoutEntries)
		}
		switch {
		case d.IsDir():
			if d.Name() == ".git" {
				return fs.SkipDir
			}
			return c.dst.MkdirAll(to)
		case d.Type()&fs.ModeSymlink != 0:
			return c.copyLink(p, to, depth)
		case d.Type().IsRegular():
			return c.copyFile(p, to)
		default: // sockets, devices, pipes: nothing Kustomize can read
			return nil
		}
	})
}

// relative is p relative to dir, both slash paths in the checkout (dir may be ".").
func relative(dir, p string) string {
	switch {
	case dir == ".":
		return p
	case p == dir:
		return "."
	}
	return strings.TrimPrefix(p, dir+"/")
}

func (c *copier) copyLink(p, to string, depth int) error {
	target, err := fs.ReadLink(c.src, p)
	if err != nil {
		return fmt.Errorf("reading symlink %s: %w", p, err)
	}
	resolved := path.Join(path.Dir(p), target)
	if path.IsAbs(target) || !fs.ValidPath(resolved) {
		return fmt.Errorf("symlink %s -> %s leaves the checkout", p, target)
	}
	info, err := fs.Stat(c.src, p)
	if err != nil {
		return fmt.Errorf("symlink %s -> %s: %w", p, target, err)
	}
	if !info.IsDir() {
		return c.copyFile(p, to)
	}
	if depth >= maxSymlinkDepth {
		return fmt.Errorf("symlink %s -> %s: too many nested directory links", p, target)
	}
	if err := c.dst.MkdirAll(to); err != nil {
		return err
	}
	return c.copyTree(resolved, strings.TrimPrefix(to, "/"), depth+1)
}

func (c *copier) copyFile(p, to string) error {
	b, err := fs.ReadFile(c.src, p)
	if err != nil {
		return fmt.Errorf("reading %s: %w", p, err)
	}
	c.bytes += int64(len(b))
	if c.bytes > MaxCheckoutBytes {
		return fmt.Errorf("the checkout is larger than %d MiB", MaxCheckoutBytes>>20)
	}
	switch ext := path.Ext(p); {
	case ext == ".yaml" || ext == ".yml" || ext == ".json":
		if len(b) > MaxManifestFileBytes {
			return fmt.Errorf("%s is %d MiB, more than the %d MiB a manifest file may be (Kubernetes keeps no object over 1.5 MB)",
				p, len(b)>>20, MaxManifestFileBytes>>20)
		}
		for _, m := range kindPattern.FindAllSubmatch(b, -1) {
			c.kinds[string(m[1])] = true
		}
		fallthrough
	case path.Base(p) == "Kustomization":
		if err := checkAliases(p, b); err != nil {
			return err
		}
	}
	return c.dst.WriteFile(to, b)
}

// checkAliases refuses a YAML file whose aliases expand beyond
// yamlbound.MaxAliasExpansion nodes before Kustomize reads it: its YAML library expands
// them, and a few hundred bytes of nested aliases would take the process's memory (a
// fatal error, which no recover catches). Only files with both an anchor and an alias
// character are parsed; one that does not parse is left for Kustomize to report.
func checkAliases(name string, b []byte) error {
	if !bytes.ContainsRune(b, '&') || !bytes.ContainsRune(b, '*') {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return nil // the end, or YAML that Kustomize will refuse in its own words
		}
		if line, col, ok := yamlbound.WithinAliasExpansion(&doc, yamlbound.MaxAliasExpansion); !ok {
			return fmt.Errorf("%s:%d:%d: YAML aliases expand to more than %d nodes", name, line, col, yamlbound.MaxAliasExpansion)
		}
	}
}
