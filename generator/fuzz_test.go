package generator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecodeRequest: whatever Argo CD (or anyone holding the token) sends, decoding never
// panics, and what it accepts is safe to use: a clean relative path, a revision that is
// not an option, filters without empty names.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(`{"applicationSetName":"a","input":{"parameters":{"repoURL":"https://x/y.git","tier":["dev","beta"],"cluster":"c"}}}`)
	f.Add(`{"input":{"parameters":{"path":"../x","revision":"-x"}}}`)
	f.Add(`{"input":{"parameters":{"tier":3}}}`)
	f.Add(`{"input":{"parameters":null}}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		q, err := decodeRequest([]byte(body), "https://default/repo.git", viewKey{"main", "shopsets.yaml"})
		if err != nil {
			if statusOf(err) != http.StatusBadRequest {
				t.Fatalf("a decoding error must be a 400, got %d: %v", statusOf(err), err)
			}
			return
		}
		if q.path != path.Clean(q.path) || path.IsAbs(q.path) || q.path == ".." || strings.HasPrefix(q.path, "../") {
			t.Fatalf("accepted path %q", q.path)
		}
		if q.revision == "" || strings.HasPrefix(q.revision, "-") || q.repoURL == "" {
			t.Fatalf("accepted %+v", q)
		}
		for name, values := range q.filters {
			for _, v := range values {
				if v == "" {
					t.Fatalf("accepted an empty %s filter", name)
				}
			}
		}
	})
}

// FuzzWebhook: a correctly signed payload of any shape never makes the webhook fail with
// a server error or panic.
func FuzzWebhook(f *testing.F) {
	f.Add("push", `{"repository":{"clone_url":"https://git.example/other.git"}}`)
	f.Add("push", `{"repository":"x"}`)
	f.Add("ping", `{}`)
	f.Add("push", `not json`)
	dir := f.TempDir()
	token, secret := filepath.Join(dir, "token"), filepath.Join(dir, "secret")
	if err := os.WriteFile(token, []byte("t"), 0o600); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("s"), 0o600); err != nil {
		f.Fatal(err)
	}
	srv, err := New(Config{Repos: []string{"https://git.example/platform.git"}, CacheDir: dir, TokenFile: token, WebhookSecretFile: secret})
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, event, body string) {
		mac := hmac.New(sha256.New, []byte("s"))
		mac.Write([]byte(body))
		req := httptest.NewRequest(http.MethodPost, "/api/webhook", strings.NewReader(body))
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
	})
}
