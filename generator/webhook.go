package generator

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Webhook bounds.
const (
	// MaxWebhookBytes is the largest webhook body read: GitHub does not deliver payloads
	// over 25 MB, and GitLab's push events stay far below that.
	MaxWebhookBytes = 25 << 20
	// webhookReaders is how many webhook bodies are read at once, so that memory stays
	// bounded (webhookReaders x MaxWebhookBytes) whatever arrives.
	webhookReaders = 2
)

// githubSignatureForm is the only form of X-Hub-Signature-256 GitHub sends.
var githubSignatureForm = regexp.MustCompile(`^sha256=[0-9a-f]{64}$`)

// handleWebhook takes GitHub and GitLab push events: a verified push to a served
// repository refreshes its mirror at once instead of at the next interval.
func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
	if s.webhook == nil {
		writeError(w, s.log, errors.Join(errUnauthorized, errors.New("webhooks are disabled: no webhook secret is configured")))
		return
	}
	secret, err := s.webhook.read()
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	// Everything that can be checked without the body is checked first, so an unsigned
	// flood costs no memory: the header's presence and form (GitHub), the token (GitLab).
	github, gitlab := r.Header.Get("X-GitHub-Event"), r.Header.Get("X-Gitlab-Event")
	switch {
	case github != "":
		if !githubSignatureForm.MatchString(r.Header.Get("X-Hub-Signature-256")) {
			writeError(w, s.log, errors.Join(errUnauthorized, errors.New("webhook signature missing or malformed (X-Hub-Signature-256: sha256=<64 hex digits>)")))
			return
		}
	case gitlab != "":
		got := sha256.Sum256([]byte(r.Header.Get("X-Gitlab-Token")))
		want := sha256.Sum256(secret)
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			writeError(w, s.log, errors.Join(errUnauthorized, errors.New("webhook token does not match")))
			return
		}
	default:
		writeError(w, s.log, badRequest("not a GitHub or GitLab webhook (no X-GitHub-Event or X-Gitlab-Event header)"))
		return
	}
	// Bodies are read a few at a time: each may be up to MaxWebhookBytes.
	select {
	case s.webhookSlots <- struct{}{}:
		defer func() { <-s.webhookSlots }()
	default:
		writeError(w, s.log, fmt.Errorf("%w: %d webhook deliveries are being read already; the next refresh or getparams call picks up the push",
			errBusy, cap(s.webhookSlots)))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
	if err != nil {
		writeError(w, s.log, badRequest("reading webhook body: %v", err))
		return
	}
	var urls []string
	switch {
	case github != "":
		if !validGitHubSignature(secret, body, r.Header.Get("X-Hub-Signature-256")) {
			writeError(w, s.log, errors.Join(errUnauthorized, errors.New("webhook signature does not match")))
			return
		}
		if github != "push" {
			writeJSON(w, http.StatusOK, map[string]any{"refreshing": []string{}})
			return
		}
		var p struct {
			Repository struct {
				CloneURL string `json:"clone_url"`
				HTMLURL  string `json:"html_url"`
				SSHURL   string `json:"ssh_url"`
				GitURL   string `json:"git_url"`
			} `json:"repository"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			writeError(w, s.log, badRequest("malformed GitHub push payload: %v", err))
			return
		}
		urls = []string{p.Repository.CloneURL, p.Repository.HTMLURL, p.Repository.SSHURL, p.Repository.GitURL}
	default:
		if gitlab != "Push Hook" {
			writeJSON(w, http.StatusOK, map[string]any{"refreshing": []string{}})
			return
		}
		var p struct {
			Project struct {
				HTTPURL string `json:"git_http_url"`
				SSHURL  string `json:"git_ssh_url"`
				WebURL  string `json:"web_url"`
			} `json:"project"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			writeError(w, s.log, badRequest("malformed GitLab push payload: %v", err))
			return
		}
		urls = []string{p.Project.HTTPURL, p.Project.SSHURL, p.Project.WebURL}
	}

	refreshing := []string{}
	for _, url := range s.order {
		if matchesAny(url, urls) {
			refreshing = append(refreshing, url)
			src := s.sources[url]
			// The refresh outlives the webhook request.
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), s.cfg.GitTimeout)
				defer cancel()
				s.refreshSource(ctx, src)
			}()
		}
	}
	s.log.Info("push webhook", "refreshing", len(refreshing), "at", time.Now().UTC())
	writeJSON(w, http.StatusAccepted, map[string]any{"refreshing": refreshing})
}

func validGitHubSignature(secret, body []byte, header string) bool {
	sig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// normalizeURL reduces the ways one repository is written (https, ssh, scp-style, with or
// without .git) to host/path.
func normalizeURL(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	} else if at, colon := strings.Index(u, "@"), strings.Index(u, ":"); at >= 0 && colon > at {
		u = u[:colon] + "/" + u[colon+1:] // scp-style git@host:org/repo
	}
	if at := strings.Index(u, "@"); at >= 0 && at < strings.Index(u+"/", "/") {
		u = u[at+1:]
	}
	u = strings.TrimSuffix(strings.TrimSuffix(u, "/"), ".git")
	return u
}

func matchesAny(url string, candidates []string) bool {
	n := normalizeURL(url)
	for _, c := range candidates {
		if c != "" && normalizeURL(c) == n {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
