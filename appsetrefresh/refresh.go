package appsetrefresh

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Ref is the ref the push events name. Argo CD keeps what follows its second slash as
// the revision ("shopset:refresh" in its log line "Received push event repo: ...,
// revision: ..."); a colon cannot be in a Git ref name, so no Git generator follows it.
const Ref = "refs/shopset/shopset:refresh"

// Bounds of one event.
const (
	// Timeout bounds one delivery: the controller answers before it handles the event.
	Timeout = 5 * time.Second
	// maxSecretBytes bounds the secret file read.
	maxSecretBytes = 4 << 10
)

// Notifier sends the push events.
type Notifier struct {
	url        string
	secretFile string
	client     *http.Client
	userAgent  string
}

// New checks the webhook URL (http or https, with a host) and the secret file, so a
// wrong flag is an error at start-up rather than at the first rollout.
//
// The secret file holds Argo CD's webhook.github.secret, mounted from argocd-secret as
// an optional key: Argo CD checks signatures only when it has that secret, so a missing
// or empty file means unsigned events, which such an Argo CD accepts. The file is read
// again at every event: a secret set or rotated later takes effect.
func New(webhookURL, secretFile, userAgent string) (*Notifier, error) {
	u, err := url.Parse(webhookURL)
	if err != nil {
		return nil, fmt.Errorf("ApplicationSet webhook %q: %w", webhookURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("ApplicationSet webhook %q: want an http or https URL, e.g. http://argocd-applicationset-controller.argocd.svc:7000/api/webhook", webhookURL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("ApplicationSet webhook %q: the URL carries credentials; the event is signed with the secret file", u.Redacted())
	}
	n := &Notifier{url: webhookURL, secretFile: secretFile, userAgent: userAgent,
		client: &http.Client{Timeout: Timeout}}
	if _, err := n.secret(); err != nil {
		return nil, err
	}
	return n, nil
}

// URL is the webhook the events go to.
func (n *Notifier) URL() string { return n.url }

// secret returns the key to sign with; nil when there is none (no file, or empty).
func (n *Notifier) secret() ([]byte, error) {
	if n.secretFile == "" {
		return nil, nil
	}
	f, err := os.Open(n.secretFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ApplicationSet webhook secret: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretBytes+1))
	if err != nil {
		return nil, fmt.Errorf("ApplicationSet webhook secret: %w", err)
	}
	if len(b) > maxSecretBytes {
		return nil, fmt.Errorf("ApplicationSet webhook secret %s: larger than %d bytes", n.secretFile, maxSecretBytes)
	}
	return bytes.TrimSpace(b), nil
}

// pushEvent is the part of GitHub's push event Argo CD's ApplicationSet webhook reads.
type pushEvent struct {
	Ref        string     `json:"ref"`
	Before     string     `json:"before"`
	After      string     `json:"after"`
	Repository repository `json:"repository"`
}

type repository struct {
	Name          string `json:"name"`
	FullName      string `json:"full_name"`
	HTMLURL       string `json:"html_url"`
	URL           string `json:"url"`
	DefaultBranch string `json:"default_branch"`
}

// Refresh sends one push event naming repoURL (the repository whose answer changed);
// every plugin-generator ApplicationSet is refreshed whatever it names.
func (n *Notifier) Refresh(ctx context.Context, repoURL string) error {
	secret, err := n.secret()
	if err != nil {
		return err
	}
	body, err := json.Marshal(pushEvent{
		Ref:    Ref,
		Before: strings.Repeat("0", 40),
		After:  strings.Repeat("0", 40),
		Repository: repository{
			Name: "shopset", FullName: "shopset/refresh",
			// Argo CD makes a regular expression of it; it must be a URL.
			HTMLURL: webURL(repoURL), URL: webURL(repoURL),
		},
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("ApplicationSet webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", delivery())
	if len(secret) > 0 {
		mac := hmac.New(sha256.New, secret)
		mac.Write(body)
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	if n.userAgent != "" {
		req.Header.Set("User-Agent", n.userAgent)
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return fmt.Errorf("ApplicationSet webhook: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		hint := ""
		if resp.StatusCode == http.StatusBadRequest {
			hint = " (does the secret file hold webhook.github.secret of argocd-secret?)"
		}
		return fmt.Errorf("ApplicationSet webhook %s: %s: %s%s", n.url, resp.Status, strings.TrimSpace(string(msg)), hint)
	}
	return nil
}

// webURL is repoURL as a web address: Argo CD compiles the event's html_url into a
// regular expression and drops the event when it cannot; scp-like SSH addresses are
// turned into ssh:// URLs.
func webURL(repoURL string) string {
	if u, err := url.Parse(repoURL); err == nil && u.Scheme != "" {
		if u.Host != "" {
			u.User = nil
			return u.String()
		}
	} else if host, path, ok := strings.Cut(repoURL, ":"); ok && !strings.Contains(host, "/") {
		if _, h, ok := strings.Cut(host, "@"); ok {
			host = h
		}
		return "ssh://" + host + "/" + strings.TrimPrefix(path, "/")
	}
	// A local path or file:// URL: a web address that names no repository.
	return "https://shopset.invalid/refresh"
}

// delivery is a GitHub-like delivery ID, so the controller's logs can tell events apart.
func delivery() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
