package generator_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/generator"
	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/internal/gittest"
	"github.com/shopset/shopset/snapshot"
)

const (
	testToken   = "s3cr3t-token"
	testWebhook = "webhook-s3cr3t"
)

// fixture is a generator serving the example repository, built with real git in a
// temporary directory and reached over file:// or HTTP (git http-backend).
type fixture struct {
	repo    *examples.Repo
	gitRepo *gittest.Repo
	git     *gittest.Server // nil over file://
	url     string
	cfg     generator.Config
	gen     *generator.Server
	http    *httptest.Server
}

func newFixture(t *testing.T, transport string) *fixture { return newFixtureWith(t, transport, nil) }

// newFixtureDown is a generator whose Git server is down from the start.
func newFixtureDown(t *testing.T) *fixture {
	return newFixtureWith(t, "http", func(f *fixture) { f.git.SetDown(true) })
}

func newFixtureWith(t *testing.T, transport string, tweak func(*fixture)) *fixture {
	t.Helper()
	root := t.TempDir()
	repo, err := examples.BuildRepo(context.Background(), filepath.Join(root, "platform"))
	require.NoError(t, err)
	f := &fixture{repo: repo, gitRepo: gittest.Open(t, repo.Dir)}
	switch transport {
	case "file":
		f.url = "file://" + repo.Dir
	case "http":
		f.git = gittest.Serve(t, root)
		f.url = f.git.URL + "/platform"
	default:
		t.Fatalf("unknown transport %q", transport)
	}
	secrets := t.TempDir()
	tokenFile, webhookFile := filepath.Join(secrets, "token"), filepath.Join(secrets, "webhook-secret")
	require.NoError(t, os.WriteFile(tokenFile, []byte(testToken+"\n"), 0o600))
	require.NoError(t, os.WriteFile(webhookFile, []byte(testWebhook), 0o600))
	f.cfg = generator.Config{
		Repos: []string{f.url}, CacheDir: t.TempDir(), TokenFile: tokenFile, WebhookSecretFile: webhookFile,
		RefCheckTTL:     time.Nanosecond, // every call checks the remote
		RefreshInterval: time.Hour, GitTimeout: 30 * time.Second,
		MaxRemovalShare: generator.DefaultMaxRemovalShare, // shopctl's default
	}
	if tweak != nil {
		tweak(f)
	}
	f.gen, err = generator.New(f.cfg)
	require.NoError(t, err)
	f.gen.Refresh(context.Background())
	f.http = httptest.NewServer(f.gen.Handler())
	t.Cleanup(f.http.Close)
	return f
}

// newPrivateFixture is a generator of a repository that its Git server serves to one user
// with one token only, which the generator reads from the returned file; tweak runs
// before the generator is made.
func newPrivateFixture(t *testing.T, tweak func(*fixture)) (*fixture, string) {
	t.Helper()
	const user, token = "x-access-token", "git-t0ken-0123456789"
	tokenFile := filepath.Join(t.TempDir(), "git-token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(token+"\n"), 0o600))
	f := newFixtureWith(t, "http", func(f *fixture) {
		f.git.SetBasicAuth(user, token)
		f.cfg.Credentials = gitrepo.Credentials{Username: user, TokenFile: tokenFile}
		if tweak != nil {
			tweak(f)
		}
	})
	return f, tokenFile
}

func (f *fixture) argo(t *testing.T) argo {
	return argo{t: t, baseURL: f.http.URL, token: testToken, repoURL: f.url}
}

// inventory is shopsets.yaml as main has it now.
func (f *fixture) inventory(t *testing.T) string {
	return f.gitRepo.Git(t, "show", "main:shopsets.yaml") + "\n"
}

func (f *fixture) commitInventory(t *testing.T, content, msg string) string {
	return f.gitRepo.Commit(t, "main", map[string]string{"shopsets.yaml": content}, msg)
}

func (f *fixture) status(t *testing.T) generator.Status {
	st := f.gen.Status()
	require.NotEmpty(t, st.Repositories)
	require.NotEmpty(t, st.Repositories[0].Views)
	return st
}

func (f *fixture) tier(t *testing.T, name string) (snapshot.Tier, bool) {
	for _, tier := range f.status(t).Repositories[0].Views[0].Tiers {
		if tier.Name == name {
			return tier, true
		}
	}
	return snapshot.Tier{}, false
}

// pushWebhook sends the GitHub push event a push to main makes, signed.
func (f *fixture) pushWebhook(t *testing.T) {
	body := `{"ref":"refs/heads/main","repository":{"clone_url":"` + f.url + `"}}`
	req, err := http.NewRequest(http.MethodPost, f.http.URL+"/api/webhook", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", "sha256="+sign(testWebhook, body))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
}

func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return hex.EncodeToString(mac.Sum(nil))
}

// restart stops the generator and starts a new one on the same repository, as a pod
// restart or a second replica would; emptyCache also gives it a new, empty mirror
// directory. The argo clients made before keep working: they read f.http's URL.
func (f *fixture) restart(t *testing.T, emptyCache bool) {
	t.Helper()
	if emptyCache {
		f.cfg.CacheDir = t.TempDir()
	}
	gen, err := generator.New(f.cfg)
	require.NoError(t, err)
	gen.Refresh(context.Background())
	f.gen = gen
	f.http.Config.Handler = gen.Handler()
}
