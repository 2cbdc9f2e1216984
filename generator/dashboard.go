package generator

import (
	"bytes"
	"embed"
	"fmt"
	"html"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/shopset/shopset/gitrepo"
)

// The dashboard is a read-only HTML view of Status: a tier × cluster matrix of the
// ShopSets, each tier's pinned, waiting and held commits, degraded shops and the
// snapshot's freshness. Its view model is built from Status alone, so the page and
// GET /api/v1/status cannot disagree. Everything it loads is embedded in the binary.

//go:embed web
var webFS embed.FS

// dashboardTemplates are parsed on first use, not at start: the same binary runs as
// the CMP, once per render, and must not pay for a page it never serves.
var dashboardTemplates = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("dashboard").Funcs(template.FuncMap{"shortID": shortID}).
		ParseFS(webFS, "web/templates/*.html"))
})

// DashboardRefresh is how often the dashboard page fetches its content again;
// dashboardReload how often it reloads when JavaScript is off.
const (
	DashboardRefresh = 5 * time.Second
	dashboardReload  = 30 * time.Second
)

// Dashboard paths, relative to the server's root.
const (
	dashboardPath         = "/dashboard"
	dashboardFragmentPath = "/dashboard/fragment"
	dashboardShopSetPath  = "/dashboard/shopsets/"
	dashboardShopPath     = "/dashboard/shops"
	dashboardAssetsPath   = "/dashboard/assets/"
)

// dashboardCSP allows nothing but the generator's own assets: no inline script or style,
// no other origin; the one form (find a shop) submits to the generator itself.
const dashboardCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// dashboardRoutes serves the dashboard: the page at / and /dashboard, its main region
// alone (what the page's script fetches to refresh itself), a page per ShopSet, and the
// embedded stylesheet and script. None needs a token: the page shows what
// /api/v1/status shows.
func (s *Server) dashboardRoutes(r chi.Router) {
	r.Get("/", s.dashboardPage)
	r.Get(dashboardPath, s.dashboardPage)
	r.Get(dashboardFragmentPath, s.dashboardFragment)
	r.Get(dashboardShopSetPath+"{name}", s.dashboardShopSet)
	r.Get(dashboardShopPath, s.dashboardShop)
	assets, err := fs.Sub(webFS, "web/assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix(dashboardAssetsPath, http.FileServerFS(assets))
	r.Get(dashboardAssetsPath+"*", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}

// pageData is what the "page" template renders: the dashboard or one ShopSet's details.
type pageData struct {
	Title string
	// Base leads from the page's URL back to the server's root, so the page works behind
	// a proxy that serves the generator under a path.
	Base string
	// Fragment is the URL the page's script refreshes the main region from; empty on pages
	// that do not refresh themselves.
	Fragment       string
	RefreshSeconds int
	ReloadSeconds  int
	Dashboard      *dashboardView
	Detail         *shopSetPage
	Shop           *shopPage
}

// shopPage is where one shop is served (GET /dashboard/shops?host=...).
type shopPage struct {
	ShopLookup
	Base string
}

func (s *Server) dashboardShop(w http.ResponseWriter, r *http.Request) {
	host := r.URL.Query().Get("host")
	if len(host) > maxHost {
		host = host[:maxHost]
	}
	page := &shopPage{ShopLookup: s.LookupShop(host), Base: "../"}
	code := http.StatusOK
	if len(page.Views) == 0 {
		code = http.StatusNotFound
	}
	s.writeHTML(w, code, "page", pageData{Title: "Shop " + page.Host, Base: "../", Shop: page})
}

func (s *Server) dashboardPage(w http.ResponseWriter, _ *http.Request) {
	view := newDashboardView(s.Status(), time.Now())
	s.writeHTML(w, http.StatusOK, "page", pageData{
		Title: "ShopSets", Fragment: dashboardFragmentPath[1:],
		RefreshSeconds: int(DashboardRefresh / time.Second), ReloadSeconds: int(dashboardReload / time.Second),
		Dashboard: view,
	})
}

func (s *Server) dashboardFragment(w http.ResponseWriter, _ *http.Request) {
	s.writeHTML(w, http.StatusOK, "main", newDashboardView(s.Status(), time.Now()))
}

func (s *Server) dashboardShopSet(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	detail := newShopSetPage(s.state(false), name)
	code := http.StatusOK
	if len(detail.Found) == 0 {
		code = http.StatusNotFound
	}
	s.writeHTML(w, code, "page", pageData{Title: "ShopSet " + name, Base: "../../", Detail: detail})
}

// writeHTML renders the named template completely before it writes anything, so a
// failure is a clean 500, not half a page.
func (s *Server) writeHTML(w http.ResponseWriter, code int, name string, data any) {
	var buf bytes.Buffer
	if err := renderDashboard(&buf, name, data); err != nil {
		s.log.Error("rendering the dashboard", "template", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", dashboardCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

func renderDashboard(w io.Writer, name string, data any) error {
	return dashboardTemplates().ExecuteTemplate(w, name, data)
}

// dashboardView is the dashboard's view model, computed from a Status.
type dashboardView struct {
	Now   string
	Repos []repoView
}

type repoView struct {
	ID, URL                  string
	LastChecked, LastFetched string
	LastError, LastErrorAt   string
	RefreshErrors            uint64
	Views                    []viewView
}

type viewView struct {
	ID                  string
	Revision, Path      string
	HasSnapshot         bool
	Commit, CommitShort string
	Built, Age          string
	Stale               bool
	LastError           string
	LastErrorAt         string
	ShopSetCount        int
	Placements          int
	Domains             []domainView
	Clusters            []ClusterStatus
	Rows                []tierRow
	DegradedShops       []DegradedStatus
	// Rollouts is set when rollouts decide the revisions; ArgoCD says why Argo CD's
	// state is not current (nothing moves meanwhile).
	Rollouts bool
	ArgoCD   string
	// Previews is set when the inventory previews topic branches.
	Previews *PreviewsStatus
}

// rolloutCell is a tier's rollout as the tiers table shows it.
type rolloutCell struct {
	Rollout              bool
	Target, TargetShort  string
	HeldBack             bool
	Proven, ProvenShort  string
	Waves                []waveCell
	Halt, Frozen, Action string
	RolledBack           bool
}

type waveCell struct {
	Domain, State, SoakLeft string
	ShopSets                string
}

type domainView struct {
	Name string
	Span int
}

type tierRow struct {
	Name, Anchor, Branch, SyncPolicy string
	Head, HeadShort                  string
	Pinned, PinnedShort              string
	PinnedSubject                    string
	// Below names the tier below, whose commits Waiting lists; empty for the lowest tier.
	Below         string
	Waiting, Held []commitView
	Cells         []cellView
	Rollout       *rolloutCell
}

type commitView struct{ ID, Short, Subject string }

type cellView struct {
	Tier, Cluster string
	// Inactive is set when the cluster is cordoned or down.
	Inactive bool
	ShopSets []ShopSetStatus
	// Items is the list items of ShopSets, rendered by shopSetItems.
	Items template.HTML
}

func newDashboardView(st Status, now time.Time) *dashboardView {
	d := &dashboardView{Now: formatTime(now), Repos: make([]repoView, 0, len(st.Repositories))}
	for ri, rs := range st.Repositories {
		rv := repoView{
			ID: "r" + strconv.Itoa(ri+1), URL: rs.URL, RefreshErrors: rs.RefreshErrors,
			LastChecked: formatTimePtr(rs.LastChecked), LastFetched: formatTimePtr(rs.LastFetched),
			LastError: rs.LastError, LastErrorAt: formatTimePtr(rs.LastErrorAt),
		}
		for vi, vs := range rs.Views {
			rv.Views = append(rv.Views, newViewView(rv.ID+"v"+strconv.Itoa(vi+1), vs))
		}
		d.Repos = append(d.Repos, rv)
	}
	return d
}

func newViewView(id string, vs ViewStatus) viewView {
	v := viewView{
		ID: id, Revision: vs.Revision, Path: vs.Path, HasSnapshot: vs.InventoryCommit != "",
		Commit: vs.InventoryCommit, CommitShort: shortID(vs.InventoryCommit),
		Built: formatTimePtr(vs.SnapshotBuilt), Age: formatAge(vs.SnapshotAgeSeconds),
		Stale: vs.Stale, LastError: vs.LastError, LastErrorAt: formatTimePtr(vs.LastErrorAt),
		ShopSetCount: len(vs.ShopSetList), DegradedShops: vs.DegradedShops, Previews: vs.Previews,
	}
	for _, n := range vs.Shops {
		v.Placements += n
	}

	// Columns: clusters grouped by failure domain, domains in the order they first appear.
	byDomain := map[string][]ClusterStatus{}
	var domains []string
	for _, c := range vs.Clusters {
		if _, seen := byDomain[c.FailureDomain]; !seen {
			domains = append(domains, c.FailureDomain)
		}
		byDomain[c.FailureDomain] = append(byDomain[c.FailureDomain], c)
	}
	column := map[string]int{}
	for _, dom := range domains {
		v.Domains = append(v.Domains, domainView{Name: dom, Span: len(byDomain[dom])})
		for _, c := range byDomain[dom] {
			column[c.Name] = len(v.Clusters)
			v.Clusters = append(v.Clusters, c)
		}
	}

	// Rows: tiers, lowest first, each with one cell per column.
	row := map[string]int{}
	v.Rows = make([]tierRow, 0, len(vs.Tiers))
	for i, t := range vs.Tiers {
		r := tierRow{
			Name: t.Name, Anchor: id + "-tier-" + t.Name, Branch: t.Branch, SyncPolicy: t.SyncPolicy,
			Head: t.Head, HeadShort: shortID(t.Head), Pinned: t.Pinned, PinnedShort: shortID(t.Pinned),
			PinnedSubject: t.PinnedSubject, Waiting: commitViews(t.Waiting), Held: commitViews(t.Held),
			Cells: make([]cellView, len(v.Clusters)),
		}
		if i > 0 {
			r.Below = vs.Tiers[i-1].Name
		}
		for ci, c := range v.Clusters {
			r.Cells[ci] = cellView{Tier: t.Name, Cluster: c.Name, Inactive: c.State != "" && c.State != "active"}
		}
		row[t.Name] = len(v.Rows)
		v.Rows = append(v.Rows, r)
	}
	if vs.Rollouts != nil {
		v.Rollouts, v.ArgoCD = true, vs.Rollouts.ArgoCD
		for _, p := range vs.Rollouts.Tiers {
			if ri, ok := row[p.Name]; ok {
				v.Rows[ri].Rollout = newRolloutCell(p)
			}
		}
	}
	for _, s := range vs.ShopSetList {
		ri, okRow := row[s.Tier]
		ci, okCol := column[s.Cluster]
		if okRow && okCol {
			cell := &v.Rows[ri].Cells[ci]
			cell.ShopSets = append(cell.ShopSets, s)
		}
	}
	var b strings.Builder
	for ri := range v.Rows {
		for ci := range v.Rows[ri].Cells {
			cell := &v.Rows[ri].Cells[ci]
			cell.Items = shopSetItems(&b, cell.ShopSets)
		}
	}
	return v
}

// shopSetItems renders a matrix cell's ShopSets as list items: a link to the ShopSet's
// page, its configuration and its shop count. The matrix holds every ShopSet, so this
// one fragment is written by hand rather than by the template engine, which costs
// microseconds per value; every value is escaped here as the template would.
func shopSetItems(b *strings.Builder, list []ShopSetStatus) template.HTML {
	b.Reset()
	for _, s := range list {
		b.WriteString(`<li><a href="dashboard/shopsets/`)
		b.WriteString(html.EscapeString(url.PathEscape(s.Name)))
		b.WriteString(`">`)
		b.WriteString(html.EscapeString(s.Name))
		b.WriteString(`</a> <span class="cfg">`)
		b.WriteString(html.EscapeString(s.Configuration))
		b.WriteString(`</span> <span class="shops">`)
		b.WriteString(strconv.Itoa(s.Shops))
		if s.Shops == 1 {
			b.WriteString(` shop</span></li>`)
		} else {
			b.WriteString(` shops</span></li>`)
		}
	}
	return template.HTML(b.String()) // every value above is escaped
}

func commitViews(commits []gitrepo.Commit) []commitView {
	out := make([]commitView, 0, len(commits))
	for _, c := range commits {
		out = append(out, commitView{ID: c.ID, Short: shortID(c.ID), Subject: c.Subject})
	}
	return out
}

// shopSetPage is one ShopSet's details, in every inventory served that lists it.
type shopSetPage struct {
	Name  string
	Base  string
	Found []shopSetDetail
}

type shopSetDetail struct {
	ID                      string
	RepoURL, Revision, Path string
	ShopSet                 ShopSetStatus
	Cluster                 ClusterStatus
	Branch, SyncPolicy      string
	RevisionShort           string
	PinnedSubject           string
	Degraded                []string
	// DiffCommand compares the live state with the pinned revision; PromoteCommand with
	// what promoting the tier would deploy, when commits wait for promotion.
	DiffCommand    string
	PromoteCommand string
	Below          string
	Waiting        int
}

func newShopSetPage(st Status, name string) *shopSetPage {
	p := &shopSetPage{Name: name, Base: "../../"}
	for ri, rs := range st.Repositories {
		for vi, vs := range rs.Views {
			for _, s := range vs.ShopSetList {
				if s.Name != name {
					continue
				}
				d := shopSetDetail{
					ID: fmt.Sprintf("r%dv%d", ri+1, vi+1), RepoURL: rs.URL, Revision: vs.Revision, Path: vs.Path,
					ShopSet: s, Cluster: ClusterStatus{Name: s.Cluster}, RevisionShort: shortID(s.Revision),
					DiffCommand: "argocd app diff " + s.AppName + " --revision " + s.Revision,
				}
				for _, c := range vs.Clusters {
					if c.Name == s.Cluster {
						d.Cluster = c
					}
				}
				for i, t := range vs.Tiers {
					if t.Name != s.Tier {
						continue
					}
					d.Branch, d.SyncPolicy, d.PinnedSubject = t.Branch, t.SyncPolicy, t.PinnedSubject
					if i > 0 && len(t.Waiting) > 0 {
						below := vs.Tiers[i-1]
						d.Below, d.Waiting = below.Name, len(t.Waiting)
						d.PromoteCommand = "argocd app diff " + s.AppName + " --revision " + below.Pinned
					}
				}
				for _, ds := range vs.DegradedShops {
					for _, on := range ds.ShopSets {
						if on == name {
							d.Degraded = append(d.Degraded, ds.Host)
						}
					}
				}
				p.Found = append(p.Found, d)
			}
		}
	}
	return p
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func formatTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return formatTime(*t)
}

// formatAge renders seconds as 42s, 5m3s or 2h10m.
func formatAge(seconds float64) string {
	d := time.Duration(seconds) * time.Second
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	default:
		return fmt.Sprintf("%dh%dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
}

func newRolloutCell(p TierRollout) *rolloutCell {
	c := &rolloutCell{Rollout: p.Rollout, Target: p.Target, TargetShort: shortID(p.Target), HeldBack: p.Target != p.Pinned,
		Proven: p.Proven, ProvenShort: shortID(p.Proven), Frozen: p.Frozen, RolledBack: p.RolledBack}
	if p.Halt != nil {
		c.Halt = p.Halt.Reason
	}
	if p.Action != nil {
		c.Action = p.Action.Kind + " by " + shortID(p.Action.Commit)
	}
	if p.Rollout {
		for _, w := range p.Waves {
			wc := waveCell{Domain: w.FailureDomain, State: string(w.State), ShopSets: strings.Join(w.ShopSets, ", ")}
			if w.SoakLeft > 0 {
				wc.SoakLeft = w.SoakLeft.Round(time.Second).String()
			}
			c.Waves = append(c.Waves, wc)
		}
	}
	return c
}
