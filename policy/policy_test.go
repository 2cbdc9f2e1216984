package policy_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/policy"
	"github.com/shopset/shopset/render"
)

var shopset = render.ShopSet{
	Name: "c-2", Namespace: "shopset-c-2", Tier: "dev", Configuration: "production",
	Cluster: "cluster-c", Components: []string{"maintenance"}, MaxMemoryLimit: "10Gi",
}

// examplePolicies loads the default policy pack of the example platform.
func examplePolicies(t testing.TB) *policy.Policies {
	t.Helper()
	tree, err := examples.Tree("tier/dev")
	require.NoError(t, err)
	p, err := policy.LoadCheckout(tree)
	require.NoError(t, err)
	require.NotNil(t, p)
	return p
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shopset-c-2
  labels: {app.kubernetes.io/name: api, shopset.io/name: c-2, shopset.io/tier: dev}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: api}}
  template:
    metadata:
      labels: {app.kubernetes.io/name: api, shopset.io/name: c-2, shopset.io/tier: dev}
    spec:
      containers:
      - name: api
        image: registry.shop.example/shop/api:1.5.0
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /readyz, port: 8080}}
        resources: {limits: {memory: 512Mi}}
`

func object(t *testing.T, src string, edit func(map[string]any)) map[string]any {
	t.Helper()
	objs, err := policy.Objects([]byte(src))
	require.NoError(t, err)
	require.Len(t, objs, 1)
	if edit != nil {
		edit(objs[0])
	}
	return objs[0]
}

func container(o map[string]any) map[string]any {
	spec := o["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	return spec["containers"].([]any)[0].(map[string]any)
}

func TestDefaultRules(t *testing.T) {
	p := examplePolicies(t)
	for _, tc := range []struct {
		name       string
		edit       func(map[string]any)
		maxMemory  *string // the ShopSet's maxMemoryLimit, if not shopset's
		deny, warn []string
	}{
		{name: "compliant"},
		{
			name: "no memory limit",
			edit: func(o map[string]any) { delete(container(o), "resources") },
			deny: []string{`Deployment/api: container "api" has no memory limit`},
		},
		{
			name: "memory limit above the maximum",
			edit: func(o map[string]any) {
				container(o)["resources"] = map[string]any{"limits": map[string]any{"memory": "12Gi"}}
			},
			deny: []string{`Deployment/api: container "api" has memory limit 12Gi, above the maximum 10Gi`},
		},
		{
			name: "memory limit at the maximum",
			edit: func(o map[string]any) {
				container(o)["resources"] = map[string]any{"limits": map[string]any{"memory": "10Gi"}}
			},
		},
		{
			name:      "memory limit above a lower maximum",
			maxMemory: ptr("256Mi"),
			deny:      []string{`Deployment/api: container "api" has memory limit 512Mi, above the maximum 256Mi`},
		},
		{
			name: "no maximum: any memory limit",
			edit: func(o map[string]any) {
				container(o)["resources"] = map[string]any{"limits": map[string]any{"memory": "64Gi"}}
			},
			maxMemory: ptr(""),
		},
		{
			name:      "no maximum: a memory limit still required",
			edit:      func(o map[string]any) { delete(container(o), "resources") },
			maxMemory: ptr(""),
			deny:      []string{`Deployment/api: container "api" has no memory limit`},
		},
		{
			name: "image without a tag",
			edit: func(o map[string]any) { container(o)["image"] = "registry.shop.example:5000/shop/api" },
			deny: []string{`Deployment/api: container "api": image "registry.shop.example:5000/shop/api" has no pinned tag`},
		},
		{
			name: "latest tag",
			edit: func(o map[string]any) { container(o)["image"] = "nginx:latest" },
			deny: []string{`Deployment/api: container "api": image "nginx:latest" has no pinned tag`},
		},
		{
			name: "digest",
			edit: func(o map[string]any) {
				container(o)["image"] = "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
			},
		},
		{
			name: "ShopSet label of another ShopSet",
			edit: func(o map[string]any) {
				o["metadata"].(map[string]any)["labels"].(map[string]any)["shopset.io/name"] = "a-1"
			},
			deny: []string{`Deployment/api: label shopset.io/name is "a-1", want "c-2"`},
		},
		{
			name: "pod label differs from the app",
			edit: func(o map[string]any) {
				o["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)["labels"].(map[string]any)["app.kubernetes.io/name"] = "cart"
			},
			deny: []string{`Deployment/api: pod template label app.kubernetes.io/name is "cart", want "api"`},
		},
		{
			name: "another namespace",
			edit: func(o map[string]any) { o["metadata"].(map[string]any)["namespace"] = "kube-system" },
			deny: []string{`Deployment/api: namespace is "kube-system", want "shopset-c-2"`},
		},
		{
			name: "no readiness probe warns",
			edit: func(o map[string]any) { delete(container(o), "readinessProbe") },
			warn: []string{`Deployment/api: container "api" has ports but no readinessProbe`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := shopset
			if tc.maxMemory != nil {
				s.MaxMemoryLimit = *tc.maxMemory
			}
			res, err := p.Check(context.Background(), []map[string]any{object(t, deployment, tc.edit)}, policy.Params(s))
			require.NoError(t, err)
			assert.Equal(t, tc.deny, strings(res.Deny), "deny")
			assert.Equal(t, tc.warn, strings(res.Warn), "warn")
		})
	}
}

func ptr[T any](v T) *T { return &v }

func strings(vs []policy.Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.String())
	}
	return out
}

func TestExemption(t *testing.T) {
	p := examplePolicies(t)
	o := object(t, deployment, func(o map[string]any) {
		container(o)["image"] = "nginx"
		o["metadata"].(map[string]any)["annotations"] = map[string]any{
			policy.ExemptAnnotation: "pinned-image: vendor image, tracked in SHOP-123",
		}
	})
	res, err := p.Check(context.Background(), []map[string]any{o}, policy.Params(shopset))
	require.NoError(t, err)
	assert.Empty(t, res.Deny)
	require.Len(t, res.Exempt, 1)
	assert.Equal(t, "vendor image, tracked in SHOP-123", res.Exempt[0].Exempted)
	var w bytes.Buffer
	res.Report(&w, "c-2")
	assert.Equal(t, `warning: shopset "c-2": Deployment/api: exempted (vendor image, tracked in SHOP-123): container "api": image "nginx" has no pinned tag`+"\n", w.String())

	// An exemption without a reason is an error, never a silent pass.
	o["metadata"].(map[string]any)["annotations"] = map[string]any{policy.ExemptAnnotation: "pinned-image"}
	_, err = p.Check(context.Background(), []map[string]any{o}, policy.Params(shopset))
	require.ErrorContains(t, err, "a reason is required")
}

// TestExamplesPass renders every example ShopSet with the policies of its tier: the
// example platform obeys its own rules.
func TestExamplesPass(t *testing.T) {
	inv, sets, err := examples.ShopSets()
	require.NoError(t, err)
	for _, s := range sets {
		params := render.FromInventory(inv, s.ShopSet)
		out, res, err := policy.Render(context.Background(), s.Tree, params)
		require.NoError(t, err, s.Name)
		assert.NotEmpty(t, out)
		assert.Empty(t, res.Warn, s.Name)

		// The same with the policies compiled beforehand, as shopctl does for many ShopSets.
		loaded, err := policy.LoadCheckout(s.Tree)
		require.NoError(t, err)
		require.NotNil(t, loaded, "the example tiers have policies")
		again, _, err := policy.RenderWith(context.Background(), s.Tree, loaded, params)
		require.NoError(t, err, s.Name)
		assert.Equal(t, string(out), string(again), s.Name)
	}
}

func TestRenderDenied(t *testing.T) {
	tree, err := examples.Tree("tier/dev")
	require.NoError(t, err)
	m := tree.(fstest.MapFS)
	m["policies/extra.rego"] = &fstest.MapFile{Data: []byte(`package main

deny_services contains msg if {
	input.kind == "Service"
	msg := sprintf("no Services on %s", [data.shopset.cluster])
}
`)}
	loaded, err := policy.LoadCheckout(m)
	require.NoError(t, err)
	for name, run := range map[string]func() ([]byte, policy.Result, error){
		"Render": func() ([]byte, policy.Result, error) { return policy.Render(context.Background(), m, shopset) },
		"RenderWith": func() ([]byte, policy.Result, error) {
			return policy.RenderWith(context.Background(), m, loaded, shopset)
		},
	} {
		t.Run(name, func(t *testing.T) {
			out, _, err := run()
			assert.Nil(t, out)
			var denied *policy.DeniedError
			require.True(t, errors.As(err, &denied), "%v", err)
			assert.Equal(t, `shopset "c-2": 4 policy violation(s):
  Service/api: no Services on cluster-c
  Service/cart: no Services on cluster-c
  Service/proxy: no Services on cluster-c
  Service/storefront: no Services on cluster-c`, err.Error())
		})
	}
}

func TestBadPolicies(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{
			name: "syntax error",
			src:  "package main\n\ndeny contains msg if {\n\tmsg := \n}\n",
			want: "policies/bad.rego:5:1: rego_parse_error: unexpected } token",
		},
		{
			name: "http.send",
			src:  "package main\n\ndeny contains msg if {\n\tr := http.send({\"method\": \"get\", \"url\": \"https://example.com\"})\n\tmsg := r.body\n}\n",
			want: "policies/bad.rego:4:7: rego_type_error: http.send is not allowed",
		},
		{
			name: "opa.runtime",
			src:  "package main\n\ndeny contains msg if {\n\tmsg := opa.runtime().env.HOME\n}\n",
			want: "opa.runtime is not allowed",
		},
		{
			name: "data outside the input",
			src:  "package main\n\ndeny contains msg if {\n\tsome ns in data.kubernetes.namespaces\n\tmsg := ns\n}\n",
			want: "policies/bad.rego:4:13: data.kubernetes.namespaces reads data that is not provided",
		},
		{
			name: "recursion",
			src:  "package main\n\na if b\n\nb if a\n\ndeny contains \"x\" if a\n",
			want: "rego_recursion_error",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.Load(fstest.MapFS{"policies/bad.rego": {Data: []byte(tc.src)}}, "policies")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestDataFiles: the *.yaml and *.json files of policies/ are data.<key>, as in conftest.
func TestDataFiles(t *testing.T) {
	const rule = `package main

deny contains msg if {
	input.kind == data.forbidden.kind
	msg := sprintf("%s is forbidden", [input.kind])
}
`
	for _, tc := range []struct {
		name    string
		files   map[string]string
		deny    []string
		wantErr string
	}{
		{
			name:  "yaml",
			files: map[string]string{"policies/data.yaml": "forbidden: {kind: Deployment}\n"},
			deny:  []string{"Deployment/api: Deployment is forbidden"},
		},
		{
			name:  "json in a subdirectory",
			files: map[string]string{"policies/data/forbidden.json": `{"forbidden": {"kind": "Deployment"}}`},
			deny:  []string{"Deployment/api: Deployment is forbidden"},
		},
		{
			name:  "another kind",
			files: map[string]string{"policies/data.yml": "forbidden: {kind: Service}\n"},
		},
		{
			name:    "a key set twice",
			files:   map[string]string{"policies/a.yaml": "forbidden: {kind: Service}\n", "policies/b.yaml": "forbidden: {kind: Pod}\n"},
			wantErr: `policies/b.yaml: key "forbidden" is already set by another data file`,
		},
		{
			name:    "shopset is the ShopSet's",
			files:   map[string]string{"policies/data.yaml": "forbidden: {kind: Pod}\nshopset: {name: x}\n"},
			wantErr: `policies/data.yaml: key "shopset" is reserved for the ShopSet's parameters`,
		},
		{
			name:    "not an object",
			files:   map[string]string{"policies/data.yaml": "- forbidden\n"},
			wantErr: "policies/data.yaml: ",
		},
		{
			name:    "no data file",
			wantErr: "policies/main.rego:4:16: data.forbidden.kind reads data that is not provided",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"policies/main.rego": {Data: []byte(rule)}}
			for name, data := range tc.files {
				fsys[name] = &fstest.MapFile{Data: []byte(data)}
			}
			p, err := policy.LoadCheckout(fsys)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			res, err := p.Check(context.Background(), []map[string]any{object(t, deployment, nil)}, policy.Params(shopset))
			require.NoError(t, err)
			assert.Equal(t, tc.deny, strings(res.Deny))
		})
	}
}

func TestRunawayPolicyIsStopped(t *testing.T) {
	p, err := policy.Load(fstest.MapFS{"policies/slow.rego": {Data: []byte(`package main

deny contains msg if {
	n := count([x | some x in numbers.range(1, 100000000)])
	msg := sprintf("%d", [n])
}
`)}}, "policies")
	require.NoError(t, err)
	p.Timeout = 200 * time.Millisecond
	start := time.Now()
	_, err = p.Check(context.Background(), []map[string]any{object(t, deployment, nil)}, policy.Params(shopset))
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, err.Error(), "policy deny (policies/slow.rego:3) on Deployment/api: evaluation stopped after 200ms")
}

// A rule defined in several files: the timeout names the definition that ran away, not
// the first file that defines a rule of that name.
func TestRunawayPolicyNamesTheSlowDefinition(t *testing.T) {
	p, err := policy.Load(fstest.MapFS{
		"policies/a_fast.rego": {Data: []byte("package main\n\ndeny contains msg if {\n\tinput.kind == \"Nothing\"\n\tmsg := \"x\"\n}\n")},
		"policies/b_slow.rego": {Data: []byte(`package main

# a comment, so the rule is not on line 3

deny contains msg if {
	n := count([x | some x in numbers.range(1, 100000000)])
	msg := sprintf("%d", [n])
}
`)},
	}, "policies")
	require.NoError(t, err)
	p.Timeout = 200 * time.Millisecond
	_, err = p.Check(context.Background(), []map[string]any{object(t, deployment, nil)}, policy.Params(shopset))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "policy deny (policies/b_slow.rego:5) on Deployment/api: evaluation stopped after 200ms")
}

func TestDefaultPackUnitTests(t *testing.T) {
	tree, err := examples.Tree("tier/dev")
	require.NoError(t, err)
	results, err := policy.Test(context.Background(), tree, policy.Dir)
	require.NoError(t, err)
	require.NotEmpty(t, results)
	for _, r := range results {
		assert.True(t, r.Pass, "%s (%s): %v", r.Name, r.Location, r.Err)
	}
}

func TestNoPolicies(t *testing.T) {
	p, err := policy.LoadCheckout(fstest.MapFS{"apps/kustomization.yaml": {Data: []byte("resources: []\n")}})
	require.NoError(t, err)
	assert.Nil(t, p)
	res, err := p.Check(context.Background(), nil, nil)
	require.NoError(t, err)
	assert.Empty(t, res.Deny)
}
