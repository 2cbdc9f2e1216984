package generator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopset/shopset/generator"
	"github.com/shopset/shopset/version"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func post(t *testing.T, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// The wire format, compared literally: one filtered ShopSet.
func TestGetParamsWireFormat(t *testing.T) {
	f := newFixture(t, "file")
	code, body := post(t, f.http.URL+"/api/v1/getparams.execute", testToken,
		`{"applicationSetName":"shopsets","input":{"parameters":{"repoURL":"`+f.url+`","cluster":"cluster-c","tier":"dev"}}}`)
	require.Equal(t, http.StatusOK, code, body)
	assert.JSONEq(t, `{"output":{"parameters":[{
		"name":"c-2","appName":"shopset-c-2","namespace":"shopset-c-2",
		"tier":"dev","tierIndex":0,"branch":"tier/dev","revision":"`+f.repo.Branches["tier/dev"]+`",
		"configuration":"production","maxMemoryLimit":"10Gi","components":["maintenance"],"componentsCSV":"maintenance",
		"allowClusterScoped":[],"allowClusterScopedCSV":"",
		"cluster":{"name":"cluster-c","server":"https://cluster-c.k8s.shop.example","failureDomain":"onprem-c","state":"active"},
		"repoURL":"`+f.url+`","syncPolicy":"automated","shops":1,"preview":false,"previewHost":""}]}}`, body)
}

func TestGetParamsBadInput(t *testing.T) {
	var logs bytes.Buffer
	f := newFixtureWith(t, "file", func(f *fixture) {
		f.cfg.MaxRequestBytes = 2048
		f.cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	f.gitRepo.Commit(t, "main", map[string]string{"broken.yaml": "apiVersion: shopset.io/v1alpha1\nkind: Inventory\ntiers: []\n"}, "Add a broken inventory")
	body := func(params string) string {
		return `{"applicationSetName":"shopsets","input":{"parameters":` + params + `}}`
	}
	repo := `"repoURL":"` + f.url + `"`
	for _, tc := range []struct {
		name, token, body string
		status            int
		err               string // substring of the error message
	}{
		{"missing token", "", body(`{` + repo + `}`), 401, "missing or invalid bearer token"},
		{"wrong token", "guess", body(`{` + repo + `}`), 401, "missing or invalid bearer token"},
		{"body over the limit", testToken, body(`{` + repo + `,"path":"` + strings.Repeat("a", 3000) + `"}`), 400, "request body larger than 2048 bytes"},
		{"malformed JSON", testToken, `{"input":`, 400, "malformed request body"},
		{"parameters of the wrong type", testToken, body(`[1,2]`), 400, "malformed request body"},
		{"filter of the wrong type", testToken, body(`{` + repo + `,"tier":3}`), 400, `input parameter "tier": must be a string or a list of strings`},
		{"revision of the wrong type", testToken, body(`{` + repo + `,"revision":["main"]}`), 400, `input parameter "revision" must be a non-empty string`},
		{"unknown parameter", testToken, body(`{` + repo + `,"teir":"dev"}`), 400, `unknown input parameter "teir"`},
		{"repository not served", testToken, body(`{"repoURL":"https://git.example/other.git"}`), 403, "names a repository this generator does not serve"},
		{"repository URL with credentials", testToken, body(`{"repoURL":"https://bob:hunter2@git.example/other.git"}`), 400, "must not contain credentials"},
		{"unknown revision", testToken, body(`{` + repo + `,"revision":"no-such-branch"}`), 400, "unknown revision"},
		{"option-like revision", testToken, body(`{` + repo + `,"revision":"--upload-pack=x"}`), 400, "must not start with '-'"},
		{"path of the repository itself", testToken, body(`{` + repo + `,"path":"."}`), 400, "clean relative path"},
		{"a valid body followed by garbage", testToken, body(`{`+repo+`}`) + `garbage`, 400, "data after the JSON object"},
		{"two JSON bodies", testToken, body(`{`+repo+`}`) + body(`{`+repo+`}`), 400, "data after the JSON object"},
		{"path leaving the repository", testToken, body(`{` + repo + `,"path":"../../etc/passwd"}`), 400, "clean relative path"},
		{"missing inventory file", testToken, body(`{` + repo + `,"path":"nope.yaml"}`), 422, "nope.yaml not found at main"},
		{"inventory failing validation", testToken, body(`{` + repo + `,"path":"broken.yaml"}`), 422, "broken.yaml:3:8: tiers: at least one tier is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, resp := post(t, f.http.URL+"/api/v1/getparams.execute", tc.token, tc.body)
			assert.Equal(t, tc.status, code, resp)
			var e struct{ Error string }
			require.NoError(t, json.Unmarshal([]byte(resp), &e), "errors are JSON: %s", resp)
			assert.Contains(t, e.Error, tc.err)
			assert.NotContains(t, resp, "hunter2")
		})
	}
	assert.NotContains(t, logs.String(), "hunter2", "credentials must never be logged")
}

func TestWebhookBadSignature(t *testing.T) {
	f := newFixture(t, "file")
	for name, headers := range map[string]map[string]string{
		"GitHub, wrong signature": {"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + sign("guess", "{}")},
		"GitHub, no signature":    {"X-GitHub-Event": "push"},
		"GitLab, wrong token":     {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "guess"},
	} {
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, f.http.URL+"/api/webhook", strings.NewReader("{}"))
			require.NoError(t, err)
			for k, v := range headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		})
	}
}

func TestOperationsEndpoints(t *testing.T) {
	f := newFixture(t, "file")
	code, _ := post(t, f.http.URL+"/api/v1/getparams.execute", testToken, `{"input":{"parameters":{}}}`)
	require.Equal(t, http.StatusOK, code)

	get := func(path string) (int, string) {
		resp, err := http.Get(f.http.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	code, body := get("/healthz")
	assert.Equal(t, 200, code)
	code, body = get("/readyz")
	assert.Equal(t, 200, code, body)
	code, body = get("/metrics")
	assert.Equal(t, 200, code)
	for _, m := range []string{
		`shopset_generator_requests_total{code="200"} 1`,
		"shopset_generator_request_duration_seconds_bucket",
		"shopset_generator_snapshot_age_seconds",
		`shopset_generator_snapshot_stale{`,
		"shopset_generator_refresh_errors_total",
		`tier="prod"} 3`,
		"shopset_generator_held_commits",
		`shopset_build_info{commit="` + version.Get().Commit + `",goversion="` + runtime.Version() + `",version="` + version.Get().Version + `"} 1`,
	} {
		assert.Contains(t, body, m)
	}
	code, body = get("/api/v1/status")
	assert.Equal(t, 200, code)
	var st struct {
		Repositories []struct {
			URL   string
			Views []struct {
				Revision, InventoryCommit string
				Stale                     bool
				Tiers                     []struct{ Name, Head, Pinned string }
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	require.Len(t, st.Repositories, 1)
	v := st.Repositories[0].Views[0]
	assert.Equal(t, f.repo.Branches["main"], v.InventoryCommit)
	assert.False(t, v.Stale)
	require.Len(t, v.Tiers, 4)
	assert.Equal(t, "dev", v.Tiers[0].Name)
	assert.Equal(t, f.repo.Branches["tier/prod"], v.Tiers[3].Pinned)
}

func TestNotReadyWithoutSnapshot(t *testing.T) {
	f := newFixtureDown(t)
	resp, err := http.Get(f.http.URL + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

// readCounter wraps request bodies to count what the handler reads of them.
type readCounter struct {
	io.ReadCloser
	n *atomic.Int64
}

func (r readCounter) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n.Add(int64(n))
	return n, err
}

// An unsigned or wrongly signed flood is refused from its headers: the handler never
// reads the bodies into memory.
func TestWebhookRefusesBeforeReading(t *testing.T) {
	f := newFixture(t, "file")
	var read atomic.Int64
	h := f.gen.Handler()
	f.http.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = readCounter{r.Body, &read}
		h.ServeHTTP(w, r)
	})
	for name, headers := range map[string]map[string]string{
		"GitHub, no signature":        {"X-GitHub-Event": "push"},
		"GitHub, malformed signature": {"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=zz"},
		"GitLab, wrong token":         {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "guess"},
	} {
		t.Run(name, func(t *testing.T) {
			for range 30 {
				req, err := http.NewRequest(http.MethodPost, f.http.URL+"/api/webhook", strings.NewReader(strings.Repeat(" ", 1<<20)))
				require.NoError(t, err)
				for k, v := range headers {
					req.Header.Set(k, v)
				}
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			}
			assert.Zero(t, read.Load(), "the handler read the body of a request it refuses")
		})
	}
}

// Signed-looking deliveries are read a few at a time; one more is told to come back.
func TestWebhookBoundsConcurrentReads(t *testing.T) {
	f := newFixture(t, "file")
	send := func(body io.Reader) (int, error) {
		req, err := http.NewRequest(http.MethodPost, f.http.URL+"/api/webhook", body)
		require.NoError(t, err)
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	var writers []*io.PipeWriter
	done := make(chan int, 2)
	for range 2 {
		r, w := io.Pipe()
		writers = append(writers, w)
		go func() {
			code, _ := send(r)
			done <- code
		}()
	}
	// Both deliveries hold a slot, waiting on their bodies.
	require.Eventually(t, func() bool { return generator.WebhookReaders(f.gen) == 2 }, 10*time.Second, time.Millisecond)
	code, err := send(strings.NewReader("{}"))
	require.NoError(t, err)
	assert.Equal(t, http.StatusTooManyRequests, code)
	for _, w := range writers {
		w.Close()
	}
	for range 2 {
		assert.Equal(t, http.StatusUnauthorized, <-done, "a wrong signature, once read")
	}
	code, err = send(strings.NewReader("{}"))
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, code, "the slots are free again")
}
