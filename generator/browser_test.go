package generator_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/inventory"
)

// chromiumPath finds a Chromium to drive. Without one the browser tests skip, except in
// CI, which installs Debian's chromium and must run them.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found: CI must run the browser tests (apt-get install chromium)")
	}
	t.Skip("no Chromium found (apt-get install chromium)")
	return ""
}

// artifactDir is where tests save what a person looks at: $SHOPSET_TEST_ARTIFACTS, or
// shopset-artifacts in the temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SHOPSET_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "shopset-artifacts")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// browser starts a headless Chromium with a fresh profile and no network of its own
// beyond what the page asks for. Page errors (exceptions, console errors, failed loads,
// refused content) are collected for problems.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T, ctx context.Context) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1400, 1000),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// Close the browser before the profile directory is removed.
		_ = chromedp.Cancel(tabCtx)
		cancelTab()
	})
	b := &browser{ctx: tabCtx}
	require.NoError(t, chromedp.Listen(tabCtx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				msg = "console.error"
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				msg = fmt.Sprintf("%s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		}
		if msg != "" {
			b.mu.Lock()
			b.errors = append(b.errors, msg)
			b.mu.Unlock()
		}
	}), "starting Chromium")
	return b
}

func (b *browser) problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, "evaluating %s", expr)
	return v
}

// waitFor polls a JavaScript predicate until it holds, failing the test after timeout.
func waitFor(t *testing.T, b *browser, what, predicate string, timeout time.Duration) {
	t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](predicate,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	require.NoError(t, err, "waiting %v for %s", timeout, what)
}

// screenshot saves a full-page PNG of the page as an artifact.
func screenshot(t *testing.T, b *browser, name string) string {
	t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	path := filepath.Join(artifactDir(t), name)
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
	return path
}

// The dashboard in a real browser: the matrix, then a commit pushed straight to
// tier/prod and a cluster marked down, each shown by the page's own refresh without a
// navigation.
func TestDashboardInBrowser(t *testing.T) {
	f := newFixture(t, "file")
	srv, base, _ := serveFixture(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b := newBrowser(t, ctx)

	require.NoError(t, chromedp.Do(b.ctx, chromedp.Navigate(base)))
	cellSel := func(tier, cluster string) string {
		return fmt.Sprintf(`td[data-tier="%s"][data-cluster="%s"]`, tier, cluster)
	}
	require.NoError(t, chromedp.Do(b.ctx, chromedp.WaitVisible(chromedp.CSS(cellSel("prod", "cluster-a")+" a"))))
	assert.Equal(t, "ShopSets", eval[string](t, b, `document.title`))

	// The matrix cells, as a person reads them.
	cellText := func(tier, cluster string) string {
		text, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(cellSel(tier, cluster))))
		require.NoError(t, err)
		return strings.Join(strings.Fields(text), " ")
	}
	assert.Equal(t, "a-2 production 4 shops", cellText("prod", "cluster-a"))
	assert.Equal(t, "a-1 production 1 shop", cellText("beta-prod", "cluster-a"))
	assert.Equal(t, "c-2 production 1 shop", cellText("dev", "cluster-c"))
	assert.Equal(t, "s-1 staging 1 shop", cellText("dev", "cluster-a"))
	for _, s := range srv.Status().Repositories[0].Views[0].ShopSetList {
		assert.Contains(t, cellText(s.Tier, s.Cluster), s.Name+" "+s.Configuration, "every ShopSet the API lists")
	}
	assert.Equal(t, "–none", strings.ReplaceAll(cellText("beta", "cluster-a"), " ", ""))

	// The stylesheet and the script loaded under the page's content security policy.
	assert.Equal(t, "collapse", eval[string](t, b, `getComputedStyle(document.querySelector("table.matrix")).borderCollapse`))
	waitFor(t, b, "the page's first refresh", `document.getElementById("refresh-state").textContent.startsWith("Updated")`, 20*time.Second)
	// A marker that a navigation would wipe out.
	eval[chromedp.Void](t, b, `window.notReloaded = true`)

	// Keyboard: the focused ShopSet link keeps the focus across a refresh.
	require.NoError(t, chromedp.Do(b.ctx, chromedp.Focus(chromedp.CSS(cellSel("prod", "cluster-b")+" a"))))
	eval[chromedp.Void](t, b, `document.getElementById("refresh-state").textContent = "waiting"`)
	waitFor(t, b, "a refresh", `document.getElementById("refresh-state").textContent.startsWith("Updated")`, 20*time.Second)
	assert.Equal(t, "b-1", eval[string](t, b, `document.activeElement.textContent`))

	// A commit pushed straight to tier/prod is held, and shows as such.
	const hotfix = "Hotfix straight to prod: raise the cart timeout"
	f.gitRepo.Commit(t, "tier/prod", map[string]string{"HOTFIX": "cart timeout 30s\n"}, hotfix)
	srv.Refresh(ctx)
	heldSel := `tr[data-tier="prod"][id] td.held`
	waitFor(t, b, "the held commit", `(document.querySelector('`+heldSel+`') || {}).textContent?.includes("`+hotfix+`")`, 30*time.Second)
	held, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(heldSel)))
	require.NoError(t, err)
	assert.Contains(t, held, "HELD 1 pushed straight to tier/prod")
	assert.Contains(t, eval[string](t, b, `document.querySelector('`+heldSel+`').className`), "warn")
	assert.Contains(t, cellText("prod", "cluster-a"), "a-2", "the matrix survives the refresh")
	assert.Contains(t, eval[string](t, b, `document.querySelector('tr[data-tier="prod"] th[scope=row]').textContent`), "HELD 1")

	// cluster-c down: beta's only ShopSet is there, so beta's shop loses its placement.
	data, err := inventory.SetClusterState("shopsets.yaml", []byte(f.inventory(t)), "cluster-c", inventory.StateDown)
	require.NoError(t, err)
	f.commitInventory(t, string(data), "cluster-c is down")
	srv.Refresh(ctx)
	waitFor(t, b, "the degraded shop", `document.querySelector('tr[data-shop="quux.shop.example"]') !== null`, 30*time.Second)
	degraded, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(`tr[data-shop="quux.shop.example"]`)))
	require.NoError(t, err)
	assert.Contains(t, degraded, "DEGRADED quux.shop.example")
	assert.Contains(t, degraded, "0 of 1")
	assert.Equal(t, "down", eval[string](t, b, `document.querySelector('th[data-cluster="cluster-c"]').dataset.state`))
	assert.True(t, eval[bool](t, b, `window.notReloaded === true`), "the page changed without a navigation")

	// The API says the same.
	view := srv.Status().Repositories[0].Views[0]
	assert.Contains(t, view.Degraded, "quux.shop.example")

	screenshot(t, b, "dashboard.png")
	_, err = chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
	})
	require.NoError(t, err)
	assert.Equal(t, "rgb(15, 20, 25)", eval[string](t, b, `getComputedStyle(document.body).backgroundColor`), "dark mode")
	screenshot(t, b, "dashboard-dark.png")

	// On a fresh load, the first Tab reaches the skip link, shown with a focus ring.
	require.NoError(t, chromedp.Do(b.ctx, chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS("table.matrix")),
		chromedp.KeyEvent(kb.Tab)))
	assert.Equal(t, "Skip to content", eval[string](t, b, `document.activeElement.textContent`))
	assert.True(t, eval[bool](t, b, `document.activeElement.matches(":focus-visible")`))
	assert.Equal(t, "solid", eval[string](t, b, `getComputedStyle(document.activeElement).outlineStyle`), "a visible focus ring")
	assert.GreaterOrEqual(t, eval[float64](t, b, `document.activeElement.getBoundingClientRect().left`), 0.0, "the skip link shows when focused")

	// A ShopSet link, followed with the keyboard, leads to its details.
	require.NoError(t, chromedp.Do(b.ctx,
		chromedp.Focus(chromedp.CSS(cellSel("prod", "cluster-a")+" a")),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS("pre.command")),
	))
	location, err := chromedp.Run(b.ctx, chromedp.Location())
	require.NoError(t, err)
	assert.Equal(t, base+"dashboard/shopsets/a-2", location)
	command, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("pre.command")))
	require.NoError(t, err)
	prod := view.Tiers[3]
	require.Equal(t, "prod", prod.Name)
	assert.Equal(t, "argocd app diff shopset-a-2 --revision "+prod.Pinned, strings.TrimSpace(command))
	screenshot(t, b, "dashboard-shopset.png")

	assert.Empty(t, b.problems(), "errors in the page")
}
