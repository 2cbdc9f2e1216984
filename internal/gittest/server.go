package gittest

import (
	"crypto/subtle"
	"maps"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// Server serves repositories over smart HTTP.
type Server struct {
	// URL is the base URL; a repository directory root/name is at URL+"/"+name.
	URL  string
	down atomic.Bool
	hang atomic.Pointer[chan struct{}]
	auth atomic.Pointer[basicAuth]

	mu     sync.Mutex
	passed map[string]int // authenticated requests by User-Agent
}

type basicAuth struct{ user, password string }

// Serve serves every repository under root over smart HTTP, fetch and push, on
// 127.0.0.1 until the test ends.
func Serve(t testing.TB, root string) *Server {
	t.Helper()
	s := &Server{passed: map[string]int{}}
	h := Handler(t, root)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if s.down.Load() {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		if auth := s.auth.Load(); auth != nil {
			user, password, ok := req.BasicAuth()
			if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(auth.user)) != 1 ||
				subtle.ConstantTimeCompare([]byte(password), []byte(auth.password)) != 1 {
				// What a Git server answers: git then asks its credential helper (or
				// askpass) and tries again, and gives up with "Authentication failed".
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
			s.mu.Lock()
			s.passed[req.UserAgent()]++
			s.mu.Unlock()
		}
		// A hang holds the pack exchange (what a fetch does after listing refs), so the
		// client is stuck mid-fetch, until the hang ends or the client gives up.
		if hang := s.hang.Load(); hang != nil && strings.HasSuffix(req.URL.Path, "/git-upload-pack") {
			select {
			case <-*hang:
			case <-req.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// SetDown makes the server answer 503 to every request while down is true.
func (s *Server) SetDown(down bool) { s.down.Store(down) }

// SetBasicAuth makes the server require HTTP Basic authentication as user with password
// on every request from now on: without them, or with others, it answers 401 with
// WWW-Authenticate: Basic, as a Git host does. An empty user serves anyone again.
func (s *Server) SetBasicAuth(user, password string) {
	if user == "" {
		s.auth.Store(nil)
		return
	}
	s.auth.Store(&basicAuth{user: user, password: password})
}

// Authenticated counts the requests that passed SetBasicAuth's check, by User-Agent.
func (s *Server) Authenticated() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.passed)
}

// SetHang makes fetches hang after the refs are listed, while hang is true; ending the
// hang lets the held ones go on.
func (s *Server) SetHang(hang bool) {
	if hang {
		ch := make(chan struct{})
		s.hang.CompareAndSwap(nil, &ch)
		return
	}
	if ch := s.hang.Swap(nil); ch != nil {
		close(*ch)
	}
}

// Handler is the git http-backend CGI handler behind Serve, for tests that wrap it (to
// require authentication, count or delay requests) in their own server.
func Handler(t testing.TB, root string) http.Handler {
	t.Helper()
	out, err := exec.Command("git", "--exec-path").Output()
	require.NoError(t, err, "finding git's exec path")
	root, err = filepath.Abs(root)
	require.NoError(t, err)
	env := []string{
		"GIT_PROJECT_ROOT=" + root,
		"GIT_HTTP_EXPORT_ALL=1",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		// Push needs receive-pack enabled. Test repositories are not bare and their
		// working trees are stale by design (see Init), also for repositories wrapped
		// with Open: let a push move the checked-out branch without touching them.
		"GIT_CONFIG_COUNT=2",
		"GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true",
		"GIT_CONFIG_KEY_1=receive.denyCurrentBranch", "GIT_CONFIG_VALUE_1=ignore",
	}
	return &cgi.Handler{
		Path:       filepath.Join(strings.TrimSpace(string(out)), "git-http-backend"),
		Root:       "/",
		Env:        env,
		InheritEnv: []string{"PATH", "HOME", "TMPDIR"},
	}
}
