package inventory

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

const (
	maxDNSLabel     = 63
	maxDNSSubdomain = 253
	// maxShopSetName leaves room for the "shopset-" prefix of the default
	// namespace within a 63-character DNS label.
	maxShopSetName = maxDNSLabel - len("shopset-")
)

// ValidDNSLabel reports why s is not an RFC 1123 DNS label, the form
// Kubernetes requires for namespace and most object names.
func ValidDNSLabel(s string) error {
	if reason := dnsLabelProblem(s); reason != "" {
		return fmt.Errorf("invalid DNS label %q: %s", s, reason)
	}
	return nil
}

func dnsLabelProblem(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if len(s) > maxDNSLabel {
		return fmt.Sprintf("must be at most %d characters, got %d", maxDNSLabel, len(s))
	}
	for _, r := range s {
		if !isLower(r) && !isDigit(r) && r != '-' {
			return fmt.Sprintf("invalid character %q (only lowercase letters, digits and '-' are allowed)", r)
		}
	}
	if s[0] == '-' || s[len(s)-1] == '-' {
		return "must start and end with a lowercase letter or digit"
	}
	return ""
}

func isLower(r rune) bool { return 'a' <= r && r <= 'z' }
func isDigit(r rune) bool { return '0' <= r && r <= '9' }

// validShopSetName adds the length limit that keeps the default namespace
// a valid DNS label.
func validShopSetName(s string) error {
	if err := ValidDNSLabel(s); err != nil {
		return err
	}
	if len(s) > maxShopSetName {
		return fmt.Errorf("shopset name %q is too long: %d characters, at most %d (the default namespace %q must fit in %d)",
			s, len(s), maxShopSetName, "shopset-<name>", maxDNSLabel)
	}
	return nil
}

// validDNSSubdomain checks an RFC 1123 subdomain, the form of shop hosts.
func validDNSSubdomain(s string) error {
	problem := func(format string, args ...any) error {
		return fmt.Errorf("invalid DNS subdomain %q: %s", s, fmt.Sprintf(format, args...))
	}
	if s == "" {
		return problem("must not be empty")
	}
	if len(s) > maxDNSSubdomain {
		return problem("must be at most %d characters, got %d", maxDNSSubdomain, len(s))
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" {
			return problem("must not start or end with '.' or contain \"..\"")
		}
		if reason := dnsLabelProblem(label); reason != "" {
			return problem("label %q: %s", label, reason)
		}
	}
	return nil
}

// ValidMemoryLimit reports why s is not a memory limit: a positive Kubernetes quantity,
// such as 512Mi or 10Gi.
func ValidMemoryLimit(s string) error {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return fmt.Errorf("invalid memory limit %q: not a Kubernetes quantity (such as 512Mi or 10Gi)", s)
	}
	if q.Sign() <= 0 {
		return fmt.Errorf("invalid memory limit %q: must be greater than zero", s)
	}
	return nil
}

// maxKind is the longest kind name Kubernetes accepts: a CustomResourceDefinition's kind,
// lower-cased, must be a DNS-1035 label.
const maxKind = 63

// ValidKind reports why s is not a Kubernetes kind name: an UpperCamel identifier such
// as ClusterRole, of at most 63 characters.
func ValidKind(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("invalid kind %q: must not be empty", s)
	case len(s) > maxKind:
		return fmt.Errorf("invalid kind %q: must be at most %d characters, got %d", s, maxKind, len(s))
	case !kindName.MatchString(s):
		return fmt.Errorf("invalid kind %q: must be an UpperCamel name of letters and digits, such as ClusterRole", s)
	}
	return nil
}

var kindName = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)

// validBranch applies the rules of `git check-ref-format --branch`, so that a
// tier's branch can actually be created and pushed.
func validBranch(s string) error {
	problem := func(format string, args ...any) error {
		return fmt.Errorf("invalid branch name %q: %s", s, fmt.Sprintf(format, args...))
	}
	switch {
	case s == "":
		return problem("must not be empty")
	case s == "@":
		return problem(`must not be "@"`)
	case s == "HEAD":
		return problem(`must not be "HEAD"`)
	case strings.HasPrefix(s, "-"):
		return problem("must not start with '-'")
	case strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/"):
		return problem("must not start or end with '/'")
	case strings.HasSuffix(s, "."):
		return problem("must not end with '.'")
	case strings.Contains(s, "//"):
		return problem(`must not contain "//"`)
	case strings.Contains(s, ".."):
		return problem(`must not contain ".."`)
	case strings.Contains(s, "@{"):
		return problem(`must not contain "@{"`)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) {
			return problem("invalid character %q", r)
		}
	}
	for _, part := range strings.Split(s, "/") {
		if strings.HasPrefix(part, ".") {
			return problem("component %q must not start with '.'", part)
		}
		if strings.HasSuffix(part, ".lock") {
			return problem("component %q must not end with \".lock\"", part)
		}
	}
	return nil
}

// validServer checks the cluster API server URL Argo CD will connect to.
func validServer(s string) error {
	problem := func(format string, args ...any) error {
		return fmt.Errorf("invalid server URL %q: %s", s, fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(s)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return problem("%v", err)
	}
	switch {
	case u.Scheme == "" || !strings.Contains(s, "://"):
		return problem("must be an absolute URL starting with https:// or http://")
	case u.Scheme != "https" && u.Scheme != "http":
		return problem("scheme must be https or http, not %q", u.Scheme)
	case u.Hostname() == "":
		return problem("missing host")
	}
	return nil
}

func oneOf[T ~string](what string, valid ...T) func(string) error {
	return func(s string) error {
		for _, v := range valid {
			if string(v) == s {
				return nil
			}
		}
		names := make([]string, len(valid))
		for i, v := range valid {
			names[i] = string(v)
		}
		return fmt.Errorf("invalid %s %q (valid: %s)", what, s, strings.Join(names, ", "))
	}
}

var (
	validSyncPolicy   = oneOf("sync policy", SyncAutomated, SyncManual)
	validWaves        = oneOf("wave strategy", WavesByFailureDomain)
	validClusterState = oneOf("cluster state", StateActive, StateCordoned, StateDown)
)

func exactly(what, want string) func(string) error {
	return func(s string) error {
		if s != want {
			return fmt.Errorf("unsupported %s %q (want %q)", what, s, want)
		}
		return nil
	}
}

// validShopsFile accepts a YAML file name in the inventory's own directory:
// the shops live next to the inventory, never elsewhere.
func validShopsFile(s string) error {
	switch {
	case s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\\"):
		return fmt.Errorf("invalid shops file %q: must be a file name next to the inventory", s)
	case !strings.HasSuffix(s, ".yaml") && !strings.HasSuffix(s, ".yml"):
		return fmt.Errorf("invalid shops file %q: must end in .yaml or .yml", s)
	}
	return nil
}

// maxBranchPattern bounds a previews branch pattern; path.Match's cost grows with it.
const maxBranchPattern = 200

// validBranchPattern checks a previews branch pattern: path.Match syntax ('*', '?',
// character classes; '*' stops at '/'), no escapes, and a literal part a branch could have.
func validBranchPattern(s string) error {
	problem := func(format string, args ...any) error {
		return fmt.Errorf("invalid branch pattern %q: %s", s, fmt.Sprintf(format, args...))
	}
	switch {
	case s == "":
		return problem("must not be empty")
	case len(s) > maxBranchPattern:
		return problem("must be at most %d characters, got %d", maxBranchPattern, len(s))
	case strings.Contains(s, `\`):
		return problem(`must not contain '\'`)
	case strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") || strings.Contains(s, "//"):
		return problem("must not start or end with '/' or contain \"//\"")
	case !strings.ContainsAny(s, "*?["):
		return problem("matches one branch only: use a wildcard, such as preview/*")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:", r) {
			return problem("invalid character %q", r)
		}
	}
	if _, err := path.Match(s, ""); err != nil {
		return problem("%v", err)
	}
	return nil
}

// Matches reports whether branch is one the previews' pattern names.
func (p *Previews) Matches(branch string) bool {
	ok, err := path.Match(p.Branches, branch)
	return err == nil && ok
}

// BranchPrefix is the literal start of the pattern, up to its first wildcard: what a
// preview's name leaves out of its branch (preview/ of preview/*).
func (p *Previews) BranchPrefix() string {
	if i := strings.IndexAny(p.Branches, "*?["); i >= 0 {
		return p.Branches[:i]
	}
	return p.Branches
}

// RefDir is the directory of refs/heads/ every matching branch is under: the prefix up
// to its last '/', so listing it lists a superset of the matches.
func (p *Previews) RefDir() string {
	prefix := p.BranchPrefix()
	return prefix[:strings.LastIndex(prefix, "/")+1]
}
