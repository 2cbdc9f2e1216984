package policy

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"
	"gopkg.in/yaml.v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/shopset/shopset/render"
)

// Dir is where a tier checkout keeps its policies.
const Dir = "policies"

// Package is the Rego package whose rules are evaluated, as conftest's default namespace.
const Package = "main"

// DefaultTimeout bounds the evaluation of every policy over one render.
const DefaultTimeout = 5 * time.Second

// ExemptAnnotation exempts an object from a rule: one "<rule-id>: <reason>" per line.
const ExemptAnnotation = "policy.shopset.io/exempt"

// shopsetKey is where the ShopSet's parameters appear in data: data.shopset.
const shopsetKey = "shopset"

// MaxPolicyBytes bounds the size of the policies directory read into memory.
const MaxPolicyBytes = 4 << 20

// forbiddenBuiltins reach outside the policy's input: the network, the process, the
// clock-independent environment. Policies that call them fail to compile.
var forbiddenBuiltins = []string{
	"http.send", "opa.runtime", "net.lookup_ip_addr", "net.cidr_expand",
	"providers.aws.sign_req", "trace", "rego.parse_module",
}

// Policies are the compiled policies of one tier checkout.
type Policies struct {
	// Timeout bounds one Check; 0 means DefaultTimeout.
	Timeout time.Duration

	compiler *ast.Compiler
	modules  map[string]*ast.Module // every module, _test.rego files included
	data     map[string]any         // the data files, merged
	deny     []rule
	warn     []rule
}

// rule is one deny or warn rule of package main.
type rule struct {
	name string
	loc  string // file:line of its first definition
	q    ast.Body
}

// Violation is one object breaking one rule.
type Violation struct {
	Kind, Name string
	// Rule is the rule's id: the "id" of a message object, else the rule's name.
	Rule    string
	Message string
	// Exempted holds the reason from the object's exemption annotation, if any.
	Exempted string
}

// String is "<kind>/<name>: <message>".
func (v Violation) String() string {
	return fmt.Sprintf("%s/%s: %s", v.Kind, v.Name, v.Message)
}

// Result lists the violations of one render, each in a stable order.
type Result struct {
	Deny, Warn []Violation
	// Exempt are deny and warn violations waived by an annotation.
	Exempt []Violation
}

// DeniedError is returned when a render breaks a deny rule.
type DeniedError struct {
	ShopSet    string
	Violations []Violation
}

func (e *DeniedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "shopset %q: %d policy violation(s):", e.ShopSet, len(e.Violations))
	for _, v := range e.Violations {
		fmt.Fprintf(&b, "\n  %s", v)
	}
	return b.String()
}

// capabilities are OPA's built-ins less those that reach outside the input.
func capabilities() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	c.Builtins = slices.DeleteFunc(c.Builtins, func(b *ast.Builtin) bool {
		return slices.Contains(forbiddenBuiltins, b.Name) || strings.HasPrefix(b.Name, "net.")
	})
	c.AllowNet = []string{}
	return c
}

// source is one file of the policies directory.
type source struct {
	name string
	data []byte
}

// Load compiles the *.rego files under dir of fsys and merges its *.yaml and *.json
// files into data, as conftest does. Files ending _test.rego hold unit tests: Load skips
// them and Test reads them. Errors name the file, line and column at fault.
func Load(fsys fs.FS, dir string) (*Policies, error) {
	return load(fsys, dir, false)
}

func load(fsys fs.FS, dir string, tests bool) (*Policies, error) {
	var regos, datas []source
	total := 0
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ext := path.Ext(p)
		if ext != ".rego" && ext != ".yaml" && ext != ".yml" && ext != ".json" || isTest(p) && !tests {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		if total += len(b); total > MaxPolicyBytes {
			return fmt.Errorf("%s: more than %d bytes of policies", dir, MaxPolicyBytes)
		}
		if ext == ".rego" {
			regos = append(regos, source{p, b})
		} else {
			datas = append(datas, source{p, b})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading policies: %w", err)
	}
	return compile(regos, datas)
}

// LoadCheckout loads the policies of a tier checkout, or returns nil when it has none.
func LoadCheckout(checkout fs.FS) (*Policies, error) {
	info, err := fs.Stat(checkout, Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading policies: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("reading policies: %s is not a directory", Dir)
	}
	return Load(checkout, Dir)
}

func compile(regos, datas []source) (*Policies, error) {
	p := &Policies{modules: map[string]*ast.Module{}, data: map[string]any{}}
	var errs []error
	for _, s := range regos {
		m, err := ast.ParseModuleWithOpts(s.name, string(s.data), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			errs = append(errs, regoErrors(err)...)
			continue
		}
		p.modules[s.name] = m
	}
	for _, s := range datas {
		if err := p.addData(s); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("policies: %w", errors.Join(errs...))
	}
	if err := p.checkDataRefs(); err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	// Unit tests are parsed (a syntax error there is an error) but compiled only by Test:
	// a render does not pay for them.
	eval := map[string]*ast.Module{}
	for name, m := range p.modules {
		if !isTest(name) {
			eval[name] = m
		}
	}
	p.compiler = ast.NewCompiler().WithCapabilities(capabilities()).WithDefaultRegoVersion(ast.RegoV1)
	p.compiler.Compile(eval)
	if p.compiler.Failed() {
		return nil, fmt.Errorf("policies: %w", errors.Join(regoErrors(p.compiler.Errors)...))
	}
	p.findRules()
	return p, nil
}

// regoErrors turns OPA's errors into one "file:line:col: message" error each.
func regoErrors(err error) []error {
	var astErrs ast.Errors
	if !errors.As(err, &astErrs) {
		return []error{err}
	}
	var out []error
	for _, e := range astErrs {
		msg := e.Message
		if strings.HasPrefix(msg, "undefined function ") {
			fn := strings.TrimPrefix(msg, "undefined function ")
			if slices.Contains(forbiddenBuiltins, fn) || strings.HasPrefix(fn, "net.") {
				msg = fmt.Sprintf("%s is not allowed: policies may read only their input and data", fn)
			}
		}
		if e.Location != nil {
			out = append(out, fmt.Errorf("%s:%d:%d: %s: %s", e.Location.File, e.Location.Row, e.Location.Col, e.Code, msg))
		} else {
			out = append(out, fmt.Errorf("%s: %s", e.Code, msg))
		}
	}
	return out
}

// addData merges a YAML or JSON file (one document, an object) into data.
func (p *Policies) addData(s source) error {
	var doc map[string]any
	if err := sigsyaml.Unmarshal(s.data, &doc); err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	for k, v := range doc {
		if k == shopsetKey {
			return fmt.Errorf("%s: key %q is reserved for the ShopSet's parameters", s.name, k)
		}
		if _, dup := p.data[k]; dup {
			return fmt.Errorf("%s: key %q is already set by another data file", s.name, k)
		}
		p.data[k] = v
	}
	return nil
}

// checkDataRefs refuses references to data that no module, data file or the ShopSet
// provides: a policy reading outside its input would otherwise pass silently.
func (p *Policies) checkDataRefs() error {
	known := map[string]bool{shopsetKey: true}
	for k := range p.data {
		known[k] = true
	}
	for _, m := range p.modules {
		if len(m.Package.Path) > 1 {
			if s, ok := m.Package.Path[1].Value.(ast.String); ok {
				known[string(s)] = true
			}
		}
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(p.modules)) {
		ast.WalkRefs(p.modules[name], func(r ast.Ref) bool {
			if len(r) < 2 || !r[0].Equal(ast.DefaultRootDocument) {
				return false
			}
			s, ok := r[1].Value.(ast.String)
			if ok && !known[string(s)] {
				loc := name
				if r[0].Location != nil {
					loc = fmt.Sprintf("%s:%d:%d", name, r[0].Location.Row, r[0].Location.Col)
				}
				errs = append(errs, fmt.Errorf("%s: %v reads data that is not provided: policies see input (the object), data.shopset and the data files in %s/", loc, r, Dir))
			}
			return false
		})
	}
	return errors.Join(errs...)
}

// findRules lists the deny and warn rules of package main (deny, deny_*, warn, warn_*).
func (p *Policies) findRules() {
	seen := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(p.modules)) {
		m := p.modules[name]
		if m.Package.Path.String() != "data."+Package || isTest(name) {
			continue
		}
		for _, r := range m.Rules {
			n := ruleName(r)
			if seen[n] {
				continue
			}
			kind := ""
			switch {
			case n == "deny" || strings.HasPrefix(n, "deny_"):
				kind = "deny"
			case n == "warn" || strings.HasPrefix(n, "warn_"):
				kind = "warn"
			default:
				continue
			}
			seen[n] = true
			ru := rule{
				name: n,
				loc:  fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row),
				q:    ast.NewBody(ast.NewExpr(ast.RefTerm(ast.DefaultRootDocument, ast.StringTerm(Package), ast.StringTerm(n)))),
			}
			if kind == "deny" {
				p.deny = append(p.deny, ru)
			} else {
				p.warn = append(p.warn, ru)
			}
		}
	}
}

// runningRule finds which definition of the rule name a runaway evaluation was in when
// it was stopped: a rule may be defined in several files, and the first of them is not
// necessarily the slow one. It evaluates again with a tracer, for at most a second, and
// gives the file:line of the last definition entered; "" if it cannot tell. Only a
// failure pays for the trace.
func runningRule(pq rego.PreparedEvalQuery, name string, input ast.Value, timeout time.Duration) string {
	ctx, cancel := context.WithTimeout(context.Background(), min(timeout, time.Second))
	defer cancel()
	tr := &ruleTracer{name: name}
	_, _ = pq.Eval(ctx, rego.EvalParsedInput(input), rego.EvalQueryTracer(tr))
	return tr.last
}

// ruleTracer remembers the location of the last definition of one rule entered.
type ruleTracer struct {
	name string
	last string
}

func (t *ruleTracer) Enabled() bool               { return true }
func (t *ruleTracer) Config() topdown.TraceConfig { return topdown.TraceConfig{} }
func (t *ruleTracer) TraceEvent(e topdown.Event) {
	if e.Op != topdown.EnterOp {
		return
	}
	r, ok := e.Node.(*ast.Rule)
	if !ok || r.Location == nil {
		return
	}
	if ruleName(r) == t.name {
		t.last = fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
	}
}

// ruleName is a rule's name as its package sees it: deny for `deny contains msg if`.
func ruleName(r *ast.Rule) string {
	if len(r.Head.Reference) > 0 {
		return r.Head.Reference[0].Value.(ast.Var).String()
	}
	return r.Head.Name.String()
}

// Params are the ShopSet's parameters as policies see them in data.shopset; maxMemoryLimit
// is "" when the ShopSet's configuration sets none.
func Params(s render.ShopSet) map[string]any {
	comps := make([]any, 0, len(s.Components))
	for _, c := range s.Components {
		comps = append(comps, c)
	}
	return map[string]any{
		"name": s.Name, "namespace": s.Namespace, "tier": s.Tier,
		"configuration": s.Configuration, "cluster": s.Cluster, "components": comps,
		"maxMemoryLimit": s.MaxMemoryLimit,
	}
}

// Objects decodes a YAML stream of manifests.
func Objects(manifests []byte) ([]map[string]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(manifests))
	var out []map[string]any
	for {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decoding manifests: %w", err)
		}
		if obj != nil {
			out = append(out, obj)
		}
	}
}

// Check evaluates every deny and warn rule over each object, with input = the object
// (as conftest does) and data.shopset = params. A nil *Policies checks nothing. The
// evaluation is bounded by p.Timeout.
func (p *Policies) Check(ctx context.Context, objects []map[string]any, params map[string]any) (Result, error) {
	var res Result
	if p == nil {
		return res, nil
	}
	timeout := cmp.Or(p.Timeout, DefaultTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	data := make(map[string]any, len(p.data)+1)
	for k, v := range p.data {
		data[k] = v
	}
	data[shopsetKey] = params
	store := inmem.NewFromObjectWithOpts(data, inmem.OptRoundTripOnWrite(true))

	type prepared struct {
		rule
		deny bool
		pq   rego.PreparedEvalQuery
	}
	var queries []prepared
	for i, list := range [][]rule{p.deny, p.warn} {
		for _, r := range list {
			pq, err := rego.New(
				rego.ParsedQuery(r.q),
				rego.Compiler(p.compiler),
				rego.Store(store),
				rego.StrictBuiltinErrors(true),
			).PrepareForEval(ctx)
			if err != nil {
				return res, fmt.Errorf("policy %s (%s): %w", r.name, r.loc, err)
			}
			queries = append(queries, prepared{r, i == 0, pq})
		}
	}
	for _, obj := range objects {
		kind, name, exempt, err := describe(obj)
		if err != nil {
			return res, err
		}
		input, err := ast.InterfaceToValue(obj)
		if err != nil {
			return res, fmt.Errorf("%s/%s: %w", kind, name, err)
		}
		for _, q := range queries {
			rs, err := q.pq.Eval(ctx, rego.EvalParsedInput(input))
			if err != nil {
				if ctx.Err() != nil {
					loc := cmp.Or(runningRule(q.pq, q.name, input, timeout), q.loc)
					return res, fmt.Errorf("policy %s (%s) on %s/%s: evaluation stopped after %v: %w", q.name, loc, kind, name, timeout, ctx.Err())
				}
				return res, fmt.Errorf("policy %s (%s) on %s/%s: %w", q.name, q.loc, kind, name, err)
			}
			msgs, err := messages(q.name, rs)
			if err != nil {
				return res, fmt.Errorf("policy %s (%s) on %s/%s: %w", q.name, q.loc, kind, name, err)
			}
			for _, m := range msgs {
				v := Violation{Kind: kind, Name: name, Rule: m.id, Message: m.msg}
				switch reason, ok := exempt[v.Rule]; {
				case ok:
					v.Exempted = reason
					res.Exempt = append(res.Exempt, v)
				case q.deny:
					res.Deny = append(res.Deny, v)
				default:
					res.Warn = append(res.Warn, v)
				}
			}
		}
	}
	for _, l := range []*[]Violation{&res.Deny, &res.Warn, &res.Exempt} {
		slices.SortStableFunc(*l, func(a, b Violation) int {
			return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Message, b.Message))
		})
		*l = slices.Compact(*l)
	}
	return res, nil
}

type message struct{ id, msg string }

// messages reads a rule's value: a set or array of strings, or of objects with "msg" and
// an optional "id" (the rule id an exemption names; the rule's name by default).
func messages(ruleName string, rs rego.ResultSet) ([]message, error) {
	var out []message
	for _, r := range rs {
		for _, e := range r.Expressions {
			var items []any
			switch v := e.Value.(type) {
			case []any:
				items = v
			case bool:
				if v {
					items = []any{ruleName}
				}
			case string:
				items = []any{v}
			default:
				return nil, fmt.Errorf("the rule's value is a %T, not a set of messages", v)
			}
			for _, it := range items {
				switch m := it.(type) {
				case string:
					out = append(out, message{ruleName, m})
				case map[string]any:
					msg, ok := m["msg"].(string)
					if !ok {
						return nil, fmt.Errorf("message %v has no string \"msg\"", m)
					}
					id, _ := m["id"].(string)
					out = append(out, message{cmp.Or(id, ruleName), msg})
				default:
					return nil, fmt.Errorf("message %v is a %T, not a string or an object with \"msg\"", it, it)
				}
			}
		}
	}
	return out, nil
}

// describe returns an object's kind, name and exemptions (rule id -> reason).
func describe(obj map[string]any) (kind, name string, exempt map[string]string, err error) {
	kind, _ = obj["kind"].(string)
	meta, _ := obj["metadata"].(map[string]any)
	name, _ = meta["name"].(string)
	kind, name = cmp.Or(kind, "<no kind>"), cmp.Or(name, "<no name>")
	ann, _ := meta["annotations"].(map[string]any)
	raw, ok := ann[ExemptAnnotation]
	if !ok {
		return kind, name, nil, nil
	}
	s, _ := raw.(string)
	exempt = map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		id, reason, _ := strings.Cut(line, ":")
		id, reason = strings.TrimSpace(id), strings.TrimSpace(reason)
		if id == "" || reason == "" {
			return "", "", nil, fmt.Errorf("%s/%s: annotation %s: %q is not \"<rule-id>: <reason>\" (a reason is required)", kind, name, ExemptAnnotation, line)
		}
		exempt[id] = reason
	}
	return kind, name, exempt, nil
}

// Report writes warnings and exemptions to w, one line each, naming the ShopSet.
func (r Result) Report(w io.Writer, shopset string) {
	for _, v := range r.Warn {
		fmt.Fprintf(w, "warning: shopset %q: %s\n", shopset, v)
	}
	for _, v := range r.Exempt {
		fmt.Fprintf(w, "warning: shopset %q: %s/%s: exempted (%s): %s\n", shopset, v.Kind, v.Name, v.Exempted, v.Message)
	}
}

// Err is a *DeniedError when the result has deny violations, else nil.
func (r Result) Err(shopset string) error {
	if len(r.Deny) == 0 {
		return nil
	}
	return &DeniedError{ShopSet: shopset, Violations: r.Deny}
}

// CheckRendered is Check for the objects of a render of s (render.RenderManifests),
// read from their JSON: the YAML is not parsed again.
func (p *Policies) CheckRendered(ctx context.Context, m render.Manifests, s render.ShopSet) (Result, error) {
	if p == nil {
		return Result{}, nil
	}
	objs, err := jsonObjects(m.JSON)
	if err != nil {
		return Result{}, err
	}
	return p.Check(ctx, objs, Params(s))
}

// jsonObjects decodes objects, one JSON document each, into what Objects decodes from the
// same objects as YAML.
func jsonObjects(docs [][]byte) ([]map[string]any, error) {
	objs := make([]map[string]any, 0, len(docs))
	for i, js := range docs {
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return nil, fmt.Errorf("decoding object %d of the manifests: %w", i+1, err)
		}
		yamlNumbers(obj)
		objs = append(objs, obj)
	}
	return objs, nil
}

// yamlNumbers replaces the json.Numbers in v with what the YAML decoder makes of the same
// number: an int64, else a uint64, else a float64. Rego compares numbers by value but
// prints them as they came, and the YAML stream spells 1e-7 as 1e-07.
func yamlNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = yamlNumbers(x)
		}
	case []any:
		for i, x := range v {
			v[i] = yamlNumbers(x)
		}
	case json.Number:
		if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return n
		}
		if n, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			return n
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
	}
	return v
}

// Render renders s from checkout and checks the manifests against the checkout's
// policies, if it has any. A deny is returned as a *DeniedError with no manifests.
//
// The policies are loaded and compiled while Kustomize renders: checkout is read from two
// goroutines at once, as render.RenderAll reads its checkouts.
func Render(ctx context.Context, checkout fs.FS, s render.ShopSet) ([]byte, Result, error) {
	type loaded struct {
		p   *Policies
		err error
	}
	policies := make(chan loaded, 1)
	go func() {
		p, err := LoadCheckout(checkout)
		policies <- loaded{p, err}
	}()
	m, err := render.RenderManifests(checkout, s)
	l := <-policies
	if err != nil {
		return nil, Result{}, err
	}
	if l.err != nil {
		return nil, Result{}, fmt.Errorf("shopset %q: %w", s.Name, l.err)
	}
	return check(ctx, l.p, m, s)
}

// RenderWith is Render with the checkout's policies loaded already (LoadCheckout; nil
// when it has none), for callers that check many ShopSets of one checkout and compile
// its policies once.
func RenderWith(ctx context.Context, checkout fs.FS, p *Policies, s render.ShopSet) ([]byte, Result, error) {
	m, err := render.RenderManifests(checkout, s)
	if err != nil {
		return nil, Result{}, err
	}
	return check(ctx, p, m, s)
}

// CheckManifests checks manifests already rendered for s against p (nil checks
// nothing), exactly as RenderWith does after its own render: for callers that rendered
// them for another purpose (shopctl diff).
func CheckManifests(ctx context.Context, p *Policies, m render.Manifests, s render.ShopSet) (Result, error) {
	_, res, err := check(ctx, p, m, s)
	return res, err
}

func check(ctx context.Context, p *Policies, m render.Manifests, s render.ShopSet) ([]byte, Result, error) {
	if p == nil {
		return m.YAML, Result{}, nil
	}
	res, err := p.CheckRendered(ctx, m, s)
	if err != nil {
		return nil, res, fmt.Errorf("shopset %q: %w", s.Name, err)
	}
	if err := res.Err(s.Name); err != nil {
		return nil, res, err
	}
	return m.YAML, res, nil
}

// TestResult is the outcome of one Rego unit test.
type TestResult struct {
	Name     string // package.rule
	Location string // file:line
	Pass     bool
	Err      error
	Output   []byte

	file string
	line int
}

// Test runs the Rego unit tests (test_* rules, usually in *_test.rego files) of the
// policies under dir of fsys, with the policies' data and an empty data.shopset (tests
// set it with `with data.shopset as ...`), each bounded by DefaultTimeout.
func Test(ctx context.Context, fsys fs.FS, dir string) ([]TestResult, error) {
	p, err := load(fsys, dir, true)
	if err != nil {
		return nil, err
	}
	timeout := DefaultTimeout
	data := map[string]any{shopsetKey: map[string]any{}}
	for k, v := range p.data {
		data[k] = v
	}
	store := inmem.NewFromObject(data)
	compiler := ast.NewCompiler().WithCapabilities(capabilities()).WithDefaultRegoVersion(ast.RegoV1).WithEnablePrintStatements(true)
	ch, err := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(store).
		SetTimeout(timeout).
		CapturePrintOutput(true).
		RaiseBuiltinErrors(true).
		SetModules(p.modules).
		RunTests(ctx, storage.Transaction(nil))
	if err != nil {
		return nil, fmt.Errorf("policy tests: %w", err)
	}
	var out []TestResult
	for r := range ch {
		t := TestResult{
			Name: strings.TrimPrefix(r.Package, "data.") + "." + r.Name,
			Pass: r.Pass(), Err: r.Error, Output: r.Output,
		}
		if r.Location != nil {
			t.file, t.line = r.Location.File, r.Location.Row
			t.Location = fmt.Sprintf("%s:%d", t.file, t.line)
		}
		out = append(out, t)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return cmp.Or(cmp.Compare(out[i].file, out[j].file), cmp.Compare(out[i].line, out[j].line)) < 0
	})
	return out, nil
}

// isTest reports whether a policy file holds unit tests only.
func isTest(name string) bool { return strings.HasSuffix(name, "_test.rego") }
