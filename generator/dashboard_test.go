package generator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// getPage fetches path from the fixture's generator.
func getPage(t *testing.T, f *fixture, path string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(f.http.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func parseHTML(t *testing.T, doc string) *html.Node {
	t.Helper()
	n, err := html.Parse(strings.NewReader(doc))
	require.NoError(t, err)
	return n
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// findAll lists the elements under n for which match holds, in document order.
func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && match(c) {
			out = append(out, c)
		}
	}
	return out
}

func text(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data + " ")
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// cell is the matrix cell of tier × cluster.
func cell(t *testing.T, doc *html.Node, tier, cluster string) *html.Node {
	t.Helper()
	cells := findAll(doc, func(n *html.Node) bool {
		return n.Data == "td" && attr(n, "data-tier") == tier && attr(n, "data-cluster") == cluster
	})
	require.Len(t, cells, 1, "cell %s × %s", tier, cluster)
	return cells[0]
}

func links(n *html.Node) []string {
	var out []string
	for _, a := range findAll(n, func(n *html.Node) bool { return n.Data == "a" }) {
		out = append(out, text(a))
	}
	return out
}

// The page is a view of GET /api/v1/status: every ShopSet the API lists is in the cell of
// its tier and cluster, with its configuration and shop count, and nowhere else.
func TestDashboardMatrixMatchesStatus(t *testing.T) {
	f := newFixture(t, "file")
	resp, body := getPage(t, f, "/")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	doc := parseHTML(t, body)

	view := f.status(t).Repositories[0].Views[0]
	require.Len(t, view.ShopSetList, 9)
	for _, s := range view.ShopSetList {
		c := cell(t, doc, s.Tier, s.Cluster)
		assert.Contains(t, links(c), s.Name, "%s in %s × %s", s.Name, s.Tier, s.Cluster)
		shops := strconv.Itoa(s.Shops) + " shops"
		if s.Shops == 1 {
			shops = "1 shop"
		}
		assert.Contains(t, text(c), s.Name+" "+s.Configuration+" "+shops)
	}
	matrix := findAll(doc, func(n *html.Node) bool { return n.Data == "table" && attr(n, "class") == "matrix" })
	require.Len(t, matrix, 1)
	assert.Len(t, findAll(matrix[0], func(n *html.Node) bool {
		return n.Data == "a" && strings.HasPrefix(attr(n, "href"), "dashboard/shopsets/")
	}), len(view.ShopSetList), "every ShopSet once")

	// The example's cells, spelled out.
	assert.Equal(t, []string{"a-2"}, links(cell(t, doc, "prod", "cluster-a")))
	assert.Equal(t, []string{"c-2"}, links(cell(t, doc, "dev", "cluster-c")))
	assert.Empty(t, links(cell(t, doc, "beta", "cluster-a")))
	assert.Equal(t, "a-2", text(findAll(cell(t, doc, "prod", "cluster-a"), func(n *html.Node) bool { return n.Data == "a" })[0]))

	// Rows lowest tier first; columns grouped by failure domain, each with its state.
	var rows []string
	for _, th := range findAll(matrix[0], func(n *html.Node) bool { return n.Data == "th" && attr(n, "scope") == "row" }) {
		rows = append(rows, strings.Fields(text(th))[0])
	}
	assert.Equal(t, []string{"dev", "beta", "beta-prod", "prod"}, rows)
	var cols, groups []string
	for _, th := range findAll(matrix[0], func(n *html.Node) bool { return n.Data == "th" && attr(n, "scope") == "col" }) {
		cols = append(cols, text(th))
	}
	for _, th := range findAll(matrix[0], func(n *html.Node) bool { return n.Data == "th" && attr(n, "scope") == "colgroup" }) {
		groups = append(groups, text(th))
	}
	assert.Equal(t, []string{"cluster-a active", "cluster-b active", "cluster-c active"}, cols)
	assert.Equal(t, []string{"onprem-a", "cloud-eks", "onprem-c"}, groups)
	assert.Len(t, findAll(matrix[0], func(n *html.Node) bool { return n.Data == "caption" }), 1)

	// Tiers: branch and pinned revision.
	prod := f.repo.Branches["tier/prod"]
	tiers := findAll(doc, func(n *html.Node) bool {
		return n.Data == "tr" && attr(n, "data-tier") == "prod" && attr(n, "id") != ""
	})
	require.Len(t, tiers, 1)
	assert.Contains(t, text(tiers[0]), "tier/prod")
	assert.Contains(t, text(tiers[0]), prod[:12])
	assert.Contains(t, body, "No degraded shop.")
	assert.NotContains(t, body, "STALE")
}

// The fragment the page's script fetches is the page's main region and nothing else.
func TestDashboardFragment(t *testing.T) {
	f := newFixture(t, "file")
	resp, frag := getPage(t, f, "/dashboard/fragment")
	require.Equal(t, http.StatusOK, resp.StatusCode, frag)
	assert.NotContains(t, frag, "<html")
	assert.NotContains(t, frag, "<main")
	assert.Contains(t, frag, `<table class="matrix"`)

	_, page := getPage(t, f, "/dashboard")
	doc := parseHTML(t, page)
	main := findAll(doc, func(n *html.Node) bool { return n.Data == "main" })
	require.Len(t, main, 1)
	assert.Equal(t, "dashboard/fragment", attr(main[0], "data-fragment"))
	assert.Equal(t, "5", attr(main[0], "data-refresh"))
}

// A commit subject is text: markup in it is escaped, never run.
func TestDashboardEscapesCommitSubjects(t *testing.T) {
	f := newFixture(t, "file")
	const subject = `Hotfix <script>alert("x")</script> & <b>bold</b>`
	f.gitRepo.Commit(t, "tier/prod", map[string]string{"HOTFIX": "1\n"}, subject)
	f.gen.Refresh(context.Background())
	for _, path := range []string{"/", "/dashboard/fragment"} {
		_, body := getPage(t, f, path)
		assert.NotContains(t, body, "<script>alert")
		assert.NotContains(t, body, "<b>bold")
		assert.Contains(t, body, `Hotfix &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;`)
	}
	_, body := getPage(t, f, "/")
	doc := parseHTML(t, body)
	held := findAll(doc, func(n *html.Node) bool { return n.Data == "td" && strings.Contains(attr(n, "class"), "held") })
	require.Len(t, held, 4)
	assert.Contains(t, text(held[3]), "HELD 1 pushed straight to tier/prod")
	assert.Contains(t, text(held[3]), subject, "the subject, parsed back, is the text committed")
	assert.Equal(t, "none", text(held[0]))
	scripts := findAll(doc, func(n *html.Node) bool { return n.Data == "script" })
	require.Len(t, scripts, 1, "the page's own script only")
	assert.Equal(t, "dashboard/assets/dashboard.js", attr(scripts[0], "src"))
}

func TestDashboardShopSetDetails(t *testing.T) {
	f := newFixture(t, "file")
	resp, body := getPage(t, f, "/dashboard/shopsets/c-2")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	page := text(parseHTML(t, body))
	dev := f.repo.Branches["tier/dev"]
	for _, want := range []string{
		"Tier dev (branch tier/dev , sync automated)",
		"Cluster cluster-c, failure domain onprem-c, active",
		"Configuration production",
		"Components maintenance",
		"Namespace shopset-c-2",
		"Application shopset-c-2",
		"argocd app diff shopset-c-2 --revision " + dev,
	} {
		assert.Contains(t, page, want)
	}
	// Assets resolve from the details page's URL.
	assert.Contains(t, body, `href="../../dashboard/assets/dashboard.css"`)

	resp, body = getPage(t, f, "/dashboard/shopsets/no-such-shopset")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, body, "NOT FOUND")
	resp, body = getPage(t, f, `/dashboard/shopsets/%3Cscript%3E`)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.NotContains(t, body, "<script>")
}

// Everything the page loads is embedded and served by the generator; nothing names a
// secret.
func TestDashboardSelfContained(t *testing.T) {
	f := newFixture(t, "file")
	_, body := getPage(t, f, "/")
	doc := parseHTML(t, body)
	var refs []string
	for _, n := range findAll(doc, func(*html.Node) bool { return true }) {
		for _, key := range []string{"src", "href"} {
			if v := attr(n, key); v != "" {
				assert.NotContains(t, v, "//", "%s=%q loads from elsewhere", key, v)
				refs = append(refs, v)
			}
		}
	}
	assert.Contains(t, refs, "dashboard/assets/dashboard.css")
	for path, contentType := range map[string]string{
		"/dashboard/assets/dashboard.css": "text/css; charset=utf-8",
		"/dashboard/assets/dashboard.js":  "text/javascript; charset=utf-8",
	} {
		resp, asset := getPage(t, f, path)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Equal(t, contentType, resp.Header.Get("Content-Type"), path)
		assert.NotEmpty(t, asset)
	}
	resp, _ := getPage(t, f, "/dashboard/assets/../templates/page.html")
	assert.NotEqual(t, http.StatusOK, resp.StatusCode, "templates are not served")

	assert.NotContains(t, body, testToken)
	assert.NotContains(t, body, testWebhook)
}

// The status JSON carries what the page shows, in literal wire form.
func TestStatusDashboardFields(t *testing.T) {
	f := newFixture(t, "file")
	_, body := getPage(t, f, "/api/v1/status")
	var st struct {
		Repositories []struct {
			Views []map[string]json.RawMessage
		}
	}
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	v := st.Repositories[0].Views[0]
	assert.JSONEq(t, `[
		{"name":"cluster-a","server":"https://cluster-a.k8s.shop.example","failureDomain":"onprem-a","state":"active"},
		{"name":"cluster-b","server":"https://cluster-b.k8s.shop.example","failureDomain":"cloud-eks","state":"active"},
		{"name":"cluster-c","server":"https://cluster-c.k8s.shop.example","failureDomain":"onprem-c","state":"active"}]`,
		string(v["clusters"]))
	var list []json.RawMessage
	require.NoError(t, json.Unmarshal(v["shopsetList"], &list))
	require.Len(t, list, 9)
	i := slices.IndexFunc(list, func(m json.RawMessage) bool {
		var s struct{ Name string }
		return json.Unmarshal(m, &s) == nil && s.Name == "c-2"
	})
	require.GreaterOrEqual(t, i, 0)
	assert.JSONEq(t, `{"name":"c-2","appName":"shopset-c-2","namespace":"shopset-c-2","tier":"dev",
		"cluster":"cluster-c","configuration":"production","components":["maintenance"],
		"revision":"`+f.repo.Branches["tier/dev"]+`","shops":1}`, string(list[i]))
	assert.JSONEq(t, `[]`, string(v["degradedShops"]))
}

// Git down: the page says the snapshot is stale and why, in words as well as colour.
func TestDashboardStale(t *testing.T) {
	f := newFixture(t, "http")
	f.git.SetDown(true)
	f.gen.Refresh(context.Background())
	_, body := getPage(t, f, "/")
	doc := parseHTML(t, body)
	stale := findAll(doc, func(n *html.Node) bool { return n.Data == "dd" && attr(n, "data-stale") == "true" })
	require.Len(t, stale, 1)
	assert.Contains(t, text(stale[0]), "STALE serving the last good snapshot")
	assert.Contains(t, text(doc), "Last refresh error ERROR")
	assert.NotEmpty(t, links(cell(t, doc, "prod", "cluster-a")), "the last good snapshot is still shown")

	down := newFixtureDown(t)
	resp, body := getPage(t, down, "/")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "NO SNAPSHOT")
}
