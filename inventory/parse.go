package inventory

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shopset/shopset/internal/yamlbound"
)

// maxAliasExpansion bounds how many nodes alias expansion may add to a
// document (see yamlbound).
const maxAliasExpansion = yamlbound.MaxAliasExpansion

// Parse decodes data, applies defaults and validates the result. file is the
// name errors use. On any problem it returns a nil Inventory and an Errors
// holding every problem found, in file order. An inventory naming a
// shopsFile needs ParseFiles.
func Parse(file string, data []byte) (*Inventory, error) {
	return ParseFiles(file, data, nil)
}

// ReadFunc reads a file next to the inventory: name is a plain file name in
// the inventory's directory.
type ReadFunc func(name string) ([]byte, error)

// ParseFiles is Parse for an inventory whose shops may live in a separate
// file (shopsFile), which read returns. Errors in that file name it.
func ParseFiles(file string, data []byte, read ReadFunc) (*Inventory, error) {
	if len(data) > maxInputSize {
		return nil, Errors{{File: file, Msg: fmt.Sprintf("inventory is larger than the %d MiB limit", maxInputSize>>20)}}
	}
	d := &decoder{file: file, read: read, ok: map[string]Position{}, given: map[string]bool{}, isMapping: map[string]bool{}}
	root := d.readDocument(data)
	var inv *Inventory
	if root != nil {
		// Measured before anything is walked, so that the walker (and
		// anything it calls) never sees a document too costly to expand.
		if at, ok := aliasExpansionWithin(root, maxAliasExpansion); !ok {
			return nil, Errors{{File: file, Line: at.Line, Column: at.Column, Msg: "document contains excessive aliasing"}}
		}
		inv = d.inventory(root)
	}
	if len(d.errs) > 0 {
		// The inventory's own problems first, then its shops file's.
		slices.SortStableFunc(d.errs, func(a, b Error) int {
			return cmp.Or(cmp.Compare(d.fileRank(a.File), d.fileRank(b.File)),
				cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
		})
		return nil, d.errs
	}
	return inv, nil
}

func (d *decoder) fileRank(file string) int {
	if file == d.file {
		return 0
	}
	return 1
}

type decoder struct {
	file string
	read ReadFunc
	// shopsFile is the name errors about shops use when they come from a
	// separate file.
	shopsFile string
	errs      Errors
	// ok holds the position of every value, by field path, that decoded to
	// the right type; the checks that run after decoding look only at these,
	// so a value already reported as malformed is not reported again.
	ok map[string]Position
	// given records every field path present with a non-null value.
	given map[string]bool
	// isMapping records the paths that held a mapping, so that defaults
	// are only checked for items that were well-formed.
	isMapping map[string]bool
}

// loc is where the walker is: the field path, and the position of the value
// as written there (the alias, when the value is one).
type loc struct {
	path string
	pos  Position
}

func (d *decoder) errorf(l loc, format string, args ...any) {
	file := d.file
	if d.shopsFile != "" && (l.path == "shops" || strings.HasPrefix(l.path, "shops[")) {
		file = d.shopsFile
	}
	d.errs = append(d.errs, Error{
		File:   file,
		Line:   l.pos.Line,
		Column: l.pos.Column,
		Field:  l.path,
		Msg:    fmt.Sprintf(format, args...),
	})
}

var yamlLineError = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

func (d *decoder) syntaxError(err error) {
	e := Error{File: d.file}
	msg := err.Error()
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	e.Msg = "invalid YAML: " + msg
	d.errs = append(d.errs, e)
}

// readDocument returns the root node of the only document in data, or nil
// after recording why there is none.
func (d *decoder) readDocument(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := decodeNode(dec, &doc); {
	case errors.Is(err, io.EOF):
		d.errs = append(d.errs, Error{File: d.file, Msg: "empty inventory"})
		return nil
	case err != nil:
		d.syntaxError(err)
		return nil
	}
	// A second document would be silently ignored by a plain Unmarshal,
	// hiding whatever it was meant to change.
	var extra yaml.Node
	switch err := decodeNode(dec, &extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.syntaxError(err)
	default:
		d.errs = append(d.errs, Error{File: d.file, Line: extra.Line, Column: extra.Column,
			Msg: "unexpected second YAML document (the inventory must be a single document)"})
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		d.errs = append(d.errs, Error{File: d.file, Line: doc.Line, Column: doc.Column, Msg: "empty inventory"})
		return nil
	}
	return doc.Content[0]
}

// decodeNode turns a panic inside the YAML library into an error: input is
// untrusted and a library bug must not take the caller down with it.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return dec.Decode(n)
}

// resolve follows n if it is an alias and returns the node to decode at path
// together with its location, which stays that of the alias: errors about the
// value then point where it is used rather than where it was defined.
func (d *decoder) resolve(n *yaml.Node, path string) (*yaml.Node, loc) {
	l := loc{path: path, pos: Position{n.Line, n.Column}}
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil { // the YAML parser rejects undefined anchors; be safe anyway
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}, l
		}
		n = n.Alias
	}
	return n, l
}

// aliasExpansionWithin reports whether expanding every alias in the tree at root adds at
// most limit nodes; if not, it returns the alias at which the limit was passed.
func aliasExpansionWithin(root *yaml.Node, limit int) (Position, bool) {
	line, col, ok := yamlbound.WithinAliasExpansion(root, limit)
	return Position{line, col}, ok
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}

func isNull(n *yaml.Node) bool {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node is, for "expected X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch tag := n.ShortTag(); tag {
		case "!!str":
			return "a string"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "null"
		case "!!timestamp":
			return "a timestamp"
		case "!!binary":
			return "binary data"
		default:
			return "a value tagged " + tag
		}
	}
	return "a YAML node of kind " + fmt.Sprint(n.Kind)
}

// field is one key of a mapping in the schema. decode gets the resolved,
// non-null value.
type field struct {
	key      string
	required bool
	decode   func(v *yaml.Node, l loc)
}

// mapping decodes a mapping against fields, reporting unknown, duplicate and
// missing keys. A null value counts as absent.
func (d *decoder) mapping(v *yaml.Node, l loc, fields ...field) bool {
	if v.Kind != yaml.MappingNode {
		d.errorf(l, "expected a mapping, got %s", describe(v))
		return false
	}
	d.isMapping[l.path] = true
	type seenKey struct{ tag, value string }
	seen := map[seenKey]Position{}
	present := map[string]bool{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, kl := d.resolve(v.Content[i], l.path)
		if k.Kind != yaml.ScalarNode {
			d.errorf(kl, "expected a field name, got %s", describe(k))
			continue
		}
		tag := k.ShortTag()
		sk := seenKey{tag, k.Value}
		if first, dup := seen[sk]; dup {
			d.errorf(kl, "duplicate key %q (first at line %d)", k.Value, first.Line)
			continue
		}
		seen[sk] = kl.pos
		if tag == "!!merge" {
			// Merged keys would have no position of their own in the file
			// and would blur which definition wins; spell fields out instead.
			d.errorf(kl, "merge keys (%q) are not supported", k.Value)
			continue
		}
		var f *field
		if tag == "!!str" {
			for j := range fields {
				if fields[j].key == k.Value {
					f = &fields[j]
					break
				}
			}
		}
		if f == nil {
			d.errorf(kl, "unknown field %q", k.Value)
			continue
		}
		val, vl := d.resolve(v.Content[i+1], join(l.path, f.key))
		if isNull(val) {
			continue
		}
		present[f.key] = true
		d.given[vl.path] = true
		f.decode(val, vl)
	}
	for _, f := range fields {
		if f.required && !present[f.key] {
			d.errorf(l, "missing required field %q", f.key)
		}
	}
	return true
}

// list decodes a sequence, calling item with each resolved element.
func (d *decoder) list(v *yaml.Node, l loc, item func(v *yaml.Node, l loc)) bool {
	if v.Kind != yaml.SequenceNode {
		d.errorf(l, "expected a list, got %s", describe(v))
		return false
	}
	for i, c := range v.Content {
		item(d.resolve(c, index(l.path, i)))
	}
	return true
}

// nonEmptyList is list for the sections an inventory cannot do without.
func (d *decoder) nonEmptyList(what string, item func(v *yaml.Node, l loc)) func(v *yaml.Node, l loc) {
	return func(v *yaml.Node, l loc) {
		if d.list(v, l, item) && len(v.Content) == 0 {
			d.errorf(l, "at least one %s is required", what)
		}
	}
}

func (d *decoder) str(v *yaml.Node, l loc) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		d.errorf(l, "expected a string, got %s", describe(v))
		return "", false
	}
	return v.Value, true
}

// text decodes a string field into dst, then reports check's objection to
// the value, if any. check may be nil.
func (d *decoder) text(dst *string, check func(string) error) func(v *yaml.Node, l loc) {
	return func(v *yaml.Node, l loc) {
		s, ok := d.str(v, l)
		if !ok {
			return
		}
		*dst = s
		d.ok[l.path] = l.pos
		if check != nil {
			if err := check(s); err != nil {
				d.errorf(l, "%v", err)
			}
		}
	}
}

// quantity decodes a Kubernetes quantity into dst as written: a string, or an integer
// (a number of bytes), as Kubernetes accepts both. check reports what is wrong with it.
func (d *decoder) quantity(dst *string, check func(string) error) func(v *yaml.Node, l loc) {
	return func(v *yaml.Node, l loc) {
		if tag := v.ShortTag(); v.Kind != yaml.ScalarNode || tag != "!!str" && tag != "!!int" {
			d.errorf(l, "expected a quantity such as 10Gi, got %s", describe(v))
			return
		}
		*dst = v.Value
		d.ok[l.path] = l.pos
		if err := check(v.Value); err != nil {
			d.errorf(l, "%v", err)
		}
	}
}

// integer decodes an integer field into dst, then reports check's objection
// to the value, if any.
func (d *decoder) integer(dst *int, check func(int) error) func(v *yaml.Node, l loc) {
	return func(v *yaml.Node, l loc) {
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
			d.errorf(l, "expected an integer, got %s", describe(v))
			return
		}
		var n int
		if err := v.Decode(&n); err != nil {
			d.errorf(l, "invalid integer %q", v.Value)
			return
		}
		*dst = n
		d.ok[l.path] = l.pos
		if err := check(n); err != nil {
			d.errorf(l, "%v", err)
		}
	}
}

func (d *decoder) inventory(n *yaml.Node) *Inventory {
	inv := &Inventory{File: d.file, Placement: Placement{Redundancy: 2}}
	v, l := d.resolve(n, "")
	d.mapping(v, l,
		field{"apiVersion", true, d.text(&inv.APIVersion, exactly("apiVersion", APIVersion))},
		field{"kind", true, d.text(&inv.Kind, exactly("kind", Kind))},
		field{"tiers", true, d.nonEmptyList("tier", func(v *yaml.Node, l loc) {
			inv.Tiers = append(inv.Tiers, d.tier(v, l))
		})},
		field{"clusters", true, d.nonEmptyList("cluster", func(v *yaml.Node, l loc) {
			inv.Clusters = append(inv.Clusters, d.cluster(v, l))
		})},
		field{"configurations", true, d.nonEmptyList("configuration", func(v *yaml.Node, l loc) {
			inv.Configurations = append(inv.Configurations, d.configuration(v, l))
		})},
		field{"shopsets", false, func(v *yaml.Node, l loc) {
			d.list(v, l, func(v *yaml.Node, l loc) {
				inv.ShopSets = append(inv.ShopSets, d.shopSet(v, l))
			})
		}},
		field{"placement", false, func(v *yaml.Node, l loc) {
			d.mapping(v, l,
				field{"redundancy", false, d.integer(&inv.Placement.Redundancy, func(n int) error {
					if n < 1 {
						return fmt.Errorf("invalid redundancy %d: must be at least 1", n)
					}
					return nil
				})},
			)
		}},
		field{"shops", false, d.shops(inv)},
		field{"shopsFile", false, d.text(&inv.ShopsFile, validShopsFile)},
		field{"allowClusterScoped", false, d.uniqueStrings(&inv.AllowClusterScoped, "kind", ValidKind)},
		field{"freezes", false, func(v *yaml.Node, l loc) {
			d.list(v, l, func(v *yaml.Node, l loc) {
				inv.Freezes = append(inv.Freezes, d.freeze(v, l))
			})
		}},
		field{"previews", false, func(v *yaml.Node, l loc) { inv.Previews = d.previews(v, l) }},
	)
	if inv.ShopsFile != "" && validShopsFile(inv.ShopsFile) == nil {
		d.readShopsFile(inv)
	}
	d.check(inv)
	return inv
}

// uniqueStrings decodes a list of strings into dst, each checked by valid and none
// repeated; what names an item in errors ("kind", "component").
func (d *decoder) uniqueStrings(dst *[]string, what string, valid func(string) error) func(v *yaml.Node, l loc) {
	return func(v *yaml.Node, l loc) {
		first := map[string]Position{}
		d.list(v, l, func(v *yaml.Node, l loc) {
			item, ok := d.str(v, l)
			if !ok {
				return
			}
			*dst = append(*dst, item)
			if valid != nil {
				if err := valid(item); err != nil {
					d.errorf(l, "%v", err)
					return
				}
			}
			d.ok[l.path] = l.pos
			if p, dup := first[item]; dup {
				d.errorf(l, "duplicate %s %q (first at line %d)", what, item, p.Line)
				return
			}
			first[item] = l.pos
		})
	}
}

func (d *decoder) shops(inv *Inventory) func(v *yaml.Node, l loc) {
	return func(v *yaml.Node, l loc) {
		d.list(v, l, func(v *yaml.Node, l loc) {
			inv.Shops = append(inv.Shops, d.shop(v, l))
		})
	}
}

// readShopsFile decodes the shops of a separate file: a mapping with one key,
// shops, as in the inventory itself.
func (d *decoder) readShopsFile(inv *Inventory) {
	at := loc{path: "shopsFile", pos: d.ok["shopsFile"]}
	if d.given["shops"] {
		d.errorf(at, "shops are listed inline and in %q: keep one list", inv.ShopsFile)
		return
	}
	if d.read == nil {
		d.errorf(at, "%q cannot be read here: only the inventory file was given", inv.ShopsFile)
		return
	}
	data, err := d.read(inv.ShopsFile)
	if err != nil {
		d.errorf(at, "reading %q: %v", inv.ShopsFile, err)
		return
	}
	if len(data) > maxInputSize {
		d.errorf(at, "%q is larger than the %d MiB limit", inv.ShopsFile, maxInputSize>>20)
		return
	}
	// Errors name the shops file the way the inventory itself was named.
	main := d.file
	name := inv.ShopsFile
	if dir := path.Dir(filepath.ToSlash(main)); dir != "." {
		name = filepath.Join(filepath.Dir(main), inv.ShopsFile)
	}
	d.file, d.shopsFile = name, name
	defer func() { d.file = main }()
	root := d.readDocument(data)
	if root == nil {
		return
	}
	if at, ok := aliasExpansionWithin(root, maxAliasExpansion); !ok {
		d.errs = append(d.errs, Error{File: d.file, Line: at.Line, Column: at.Column, Msg: "document contains excessive aliasing"})
		return
	}
	v, l := d.resolve(root, "")
	d.mapping(v, l, field{"shops", true, d.shops(inv)})
}

// The item decoders below always return a value, even for an item that is
// not a mapping, so that slice index i stays the path index [i].

func (d *decoder) tier(v *yaml.Node, l loc) Tier {
	t := Tier{Pos: l.pos}
	var policy string
	d.mapping(v, l,
		field{"name", true, d.text(&t.Name, ValidDNSLabel)},
		field{"branch", true, d.text(&t.Branch, validBranch)},
		field{"syncPolicy", false, d.text(&policy, validSyncPolicy)},
		field{"rollout", false, func(v *yaml.Node, l loc) { t.Rollout = d.rollout(v, l) }},
	)
	t.SyncPolicy = SyncPolicy(cmp.Or(policy, string(SyncAutomated)))
	return t
}

func (d *decoder) cluster(v *yaml.Node, l loc) Cluster {
	c := Cluster{Pos: l.pos}
	var state string
	d.mapping(v, l,
		field{"name", true, d.text(&c.Name, ValidDNSLabel)},
		field{"server", true, d.text(&c.Server, validServer)},
		field{"failureDomain", false, d.text(&c.FailureDomain, ValidDNSLabel)},
		field{"state", false, d.text(&state, validClusterState)},
	)
	c.FailureDomain = cmp.Or(c.FailureDomain, c.Name)
	c.State = ClusterState(cmp.Or(state, string(StateActive)))
	return c
}

func (d *decoder) configuration(v *yaml.Node, l loc) Configuration {
	c := Configuration{Pos: l.pos}
	d.mapping(v, l,
		field{"name", true, d.text(&c.Name, ValidDNSLabel)},
		field{"description", false, d.text(&c.Description, nil)},
		field{"maxMemoryLimit", false, d.quantity(&c.MaxMemoryLimit, ValidMemoryLimit)},
	)
	return c
}

func (d *decoder) shopSet(v *yaml.Node, l loc) ShopSet {
	s := ShopSet{Pos: l.pos}
	d.mapping(v, l,
		field{"name", true, d.text(&s.Name, validShopSetName)},
		field{"tier", true, d.text(&s.Tier, nil)},
		field{"configuration", true, d.text(&s.Configuration, nil)},
		field{"cluster", true, d.text(&s.Cluster, nil)},
		field{"namespace", false, d.text(&s.Namespace, ValidDNSLabel)},
		field{"components", false, d.uniqueStrings(&s.Components, "component", ValidDNSLabel)},
	)
	if s.Namespace == "" && s.Name != "" {
		s.Namespace = DefaultNamespace(s.Name)
	}
	return s
}

func (d *decoder) shop(v *yaml.Node, l loc) Shop {
	s := Shop{Pos: l.pos}
	d.mapping(v, l,
		field{"host", true, d.text(&s.Host, validDNSSubdomain)},
		field{"tier", true, d.text(&s.Tier, nil)},
		field{"configuration", false, d.text(&s.Configuration, nil)},
		field{"redundancy", false, d.integer(&s.Redundancy, func(n int) error {
			if n < 0 {
				return fmt.Errorf("invalid redundancy %d: must be at least 1 (or 0 to use placement.redundancy)", n)
			}
			return nil
		})},
	)
	return s
}

func (d *decoder) rollout(v *yaml.Node, l loc) *Rollout {
	r := &Rollout{Waves: WavesByFailureDomain, Soak: DefaultSoak, HealthTimeout: DefaultHealthTimeout, Pos: l.pos}
	d.mapping(v, l,
		field{"waves", false, d.text(&r.Waves, validWaves)},
		field{"soak", false, d.duration(&r.Soak)},
		field{"healthTimeout", false, d.duration(&r.HealthTimeout)},
		field{"rollback", false, d.boolean(&r.Rollback)},
	)
	return r
}

func (d *decoder) freeze(v *yaml.Node, l loc) Freeze {
	f := Freeze{Pos: l.pos}
	d.mapping(v, l,
		field{"tiers", true, func(v *yaml.Node, l loc) {
			d.uniqueStrings(&f.Tiers, "tier", nil)(v, l)
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				d.errorf(l, "at least one tier is required")
			}
		}},
		field{"reason", true, d.text(&f.Reason, func(s string) error {
			if strings.TrimSpace(s) == "" {
				return errors.New("a freeze needs a reason")
			}
			return nil
		})},
		field{"until", false, d.timestamp(&f.Until)},
	)
	return f
}

func (d *decoder) previews(v *yaml.Node, l loc) *Previews {
	p := &Previews{Max: DefaultPreviewMax, ExpireAfter: DefaultPreviewExpireAfter, Pos: l.pos}
	d.mapping(v, l,
		field{"branches", true, d.text(&p.Branches, validBranchPattern)},
		field{"cluster", true, d.text(&p.Cluster, nil)},
		field{"configuration", true, d.text(&p.Configuration, nil)},
		field{"components", false, d.uniqueStrings(&p.Components, "component", ValidDNSLabel)},
		field{"max", false, d.integer(&p.Max, func(n int) error {
			if n < 1 || n > MaxPreviewMax {
				return fmt.Errorf("invalid max %d: must be between 1 and %d", n, MaxPreviewMax)
			}
			return nil
		})},
		field{"expireAfter", false, d.durationUpTo(&p.ExpireAfter, MaxPreviewExpireAfter)},
		field{"domain", false, d.text(&p.Domain, validDNSSubdomain)},
	)
	return p
}

// maxDuration bounds soak and health timeouts: a week is longer than any rollout
// should wait on its own.
const maxDuration = 7 * 24 * time.Hour

// duration decodes a Go duration ("90s", "10m", "1h30m") of at most maxDuration into dst.
func (d *decoder) duration(dst *time.Duration) func(v *yaml.Node, l loc) {
	return d.durationUpTo(dst, maxDuration)
}

// durationUpTo decodes a Go duration of at most max into dst.
func (d *decoder) durationUpTo(dst *time.Duration, limit time.Duration) func(v *yaml.Node, l loc) {
	return func(v *yaml.Node, l loc) {
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" && v.ShortTag() != "!!int" {
			d.errorf(l, "expected a duration such as 10m, got %s", describe(v))
			return
		}
		if v.ShortTag() == "!!int" && v.Value != "0" {
			d.errorf(l, "invalid duration %s: give a unit, such as %ss or %sm", v.Value, v.Value, v.Value)
			return
		}
		t, err := time.ParseDuration(v.Value)
		switch {
		case err != nil:
			d.errorf(l, "invalid duration %q: expected a number and a unit, such as 90s, 10m or 1h30m", v.Value)
			return
		case t < 0:
			d.errorf(l, "invalid duration %q: must not be negative", v.Value)
			return
		case t > limit:
			d.errorf(l, "invalid duration %q: at most %s", v.Value, limit)
			return
		}
		*dst = t
		d.ok[l.path] = l.pos
	}
}

func (d *decoder) boolean(dst *bool) func(v *yaml.Node, l loc) {
	return func(v *yaml.Node, l loc) {
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
			d.errorf(l, "expected true or false, got %s", describe(v))
			return
		}
		if err := v.Decode(dst); err != nil {
			d.errorf(l, "invalid boolean %q", v.Value)
			return
		}
		d.ok[l.path] = l.pos
	}
}

// timestamp decodes an RFC 3339 time (2026-12-24T00:00:00Z) into dst.
func (d *decoder) timestamp(dst *time.Time) func(v *yaml.Node, l loc) {
	return func(v *yaml.Node, l loc) {
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" && v.ShortTag() != "!!timestamp" {
			d.errorf(l, "expected a time such as 2026-12-24T00:00:00Z, got %s", describe(v))
			return
		}
		t, err := time.Parse(time.RFC3339, v.Value)
		if err != nil {
			d.errorf(l, "invalid time %q: expected RFC 3339 with a zone, such as 2026-12-24T00:00:00Z", v.Value)
			return
		}
		*dst = t
		d.ok[l.path] = l.pos
	}
}
