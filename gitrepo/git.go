package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/shopset/shopset/version"
)

const (
	// maxStderr bounds the git output quoted in an error; fetch can be chatty.
	maxStderr = 1024
	// defaultMaxOutput bounds what one git command may write to stdout, so a hostile or
	// huge repository cannot exhaust memory.
	defaultMaxOutput = 256 << 20
	// waitDelay lets Wait return even when a killed git left a helper (git-remote-https,
	// ssh) holding its output pipes, where the process group cannot be killed.
	waitDelay = 5 * time.Second

	tokenFileEnv = "SHOPSET_GIT_TOKEN_FILE"
	usernameEnv  = "SHOPSET_GIT_USERNAME"
	// credentialHelper answers git's "get" with the user name and the token read from the
	// file at that moment, so a rotated Secret takes effect without a restart and the token
	// never appears in argv or the environment.
	credentialHelper = `!f() { test "$1" = get || return 0; echo "username=$` + usernameEnv +
		`"; printf 'password='; tr -d '\r\n' < "$` + tokenFileEnv + `"; echo; }; f`
)

// localEnv lists the variables that point git at a particular repository (as printed by
// `git rev-parse --local-env-vars`); inherited ones, e.g. inside a Git hook, would redirect
// every command.
var localEnv = map[string]bool{
	"GIT_ALTERNATE_OBJECT_DIRECTORIES": true,
	"GIT_CONFIG":                       true,
	"GIT_CONFIG_PARAMETERS":            true,
	"GIT_CONFIG_COUNT":                 true,
	"GIT_OBJECT_DIRECTORY":             true,
	"GIT_DIR":                          true,
	"GIT_WORK_TREE":                    true,
	"GIT_IMPLICIT_WORK_TREE":           true,
	"GIT_GRAFT_FILE":                   true,
	"GIT_INDEX_FILE":                   true,
	"GIT_NO_REPLACE_OBJECTS":           true,
	"GIT_REPLACE_REF_BASE":             true,
	"GIT_PREFIX":                       true,
	"GIT_INTERNAL_SUPER_PREFIX":        true,
	"GIT_SHALLOW_FILE":                 true,
	"GIT_COMMON_DIR":                   true,
	"GIT_NAMESPACE":                    true,
	"GIT_CEILING_DIRECTORIES":          true,
}

// userinfo matches the user information of a URL anywhere in a text.
var userinfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s'"]*@`)

// redact replaces the user information of every URL in s with "***". Credentials are
// never put into URLs; this is the second line of defence for what git prints.
func redact(s string) string {
	return userinfo.ReplaceAllString(s, "${1}***@")
}

// cmdError is a failed git command: the subcommand, its exit code (-1 when it did not
// exit normally) and its trimmed, redacted stderr.
type cmdError struct {
	sub    string
	code   int
	stderr string
	err    error
}

func (e *cmdError) Error() string {
	if e.stderr == "" {
		return fmt.Sprintf("git %s: %v", e.sub, e.err)
	}
	return fmt.Sprintf("git %s: %v: %s", e.sub, e.err, e.stderr)
}

func (e *cmdError) Unwrap() error { return e.err }

// exitCode returns the exit code of a failed git command, or -1.
func exitCode(err error) int {
	var ce *cmdError
	if errors.As(err, &ce) {
		return ce.code
	}
	return -1
}

// cmd describes one git invocation.
type cmd struct {
	args   []string  // subcommand and its arguments
	gitDir string    // --git-dir; "" runs outside any repository
	dir    string    // working directory; "" is the process's
	env    []string  // added to the environment
	remote bool      // talks to the remote: add credentials
	stdin  io.Reader // optional
	max    int64     // stdout cap; 0 means defaultMaxOutput
}

// limitedBuffer collects output up to max bytes and then fails the write, which makes
// exec stop copying and Wait report the error.
type limitedBuffer struct {
	buf bytes.Buffer
	max int64
}

var errOutputTooLarge = errors.New("output too large")

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if int64(b.buf.Len()+len(p)) > b.max {
		return 0, fmt.Errorf("%w (more than %d bytes)", errOutputTooLarge, b.max)
	}
	return b.buf.Write(p)
}

// run executes git and returns its stdout. A context that ended turns any failure into
// ErrUnavailable wrapping the context's error, so callers do not misread a killed git as,
// say, an unknown revision.
func (r *Repo) run(ctx context.Context, c cmd) ([]byte, error) {
	var args []string
	if c.gitDir != "" {
		args = append(args, "--git-dir="+c.gitDir)
	}
	env := baseEnv()
	if c.remote {
		extra, cfg, err := r.creds.gitConfig()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		env = append(env, extra...)
		args = append(args, cfg...)
		// Servers and their logs see which program asks, and which build.
		args = append(args, "-c", "http.userAgent="+version.UserAgent())
	}
	args = append(args, c.args...)
	env = append(env, c.env...)

	max := c.max
	if max <= 0 {
		max = defaultMaxOutput
	}
	stdout := &limitedBuffer{max: max}
	var stderr bytes.Buffer
	ec := exec.CommandContext(ctx, "git", args...)
	ec.Env = env
	ec.Dir = c.dir
	ec.Stdin = c.stdin
	ec.Stdout = stdout
	ec.Stderr = &stderr
	ec.WaitDelay = waitDelay
	killGroupOnCancel(ec)
	err := ec.Run()
	if err == nil {
		return stdout.buf.Bytes(), nil
	}

	sub := subcommand(c.args)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("git %s: %w: %w", sub, ErrUnavailable, ctx.Err())
	}
	ce := &cmdError{sub: sub, code: -1, stderr: trimStderr(stderr.String()), err: err}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		ce.code = exit.ExitCode()
	}
	if errors.Is(err, errOutputTooLarge) {
		ce.err = errOutputTooLarge
	}
	return nil, ce
}

// subcommand names the git command for errors: the first argument that is neither an
// option nor the value of -c.
func subcommand(args []string) string {
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "-c":
			i++
		case !strings.HasPrefix(args[i], "-"):
			return args[i]
		}
	}
	return "(none)"
}

// trimStderr keeps the end of git's stderr, where the fatal message is, without URL
// credentials.
func trimStderr(s string) string {
	s = strings.TrimSpace(redact(s))
	if len(s) > maxStderr {
		s = "..." + s[len(s)-maxStderr:]
	}
	return s
}

// inheritedEnv is the process environment without the variables that point git at a
// particular repository or configure it from the environment.
func inheritedEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if localEnv[name] || strings.HasPrefix(name, "GIT_CONFIG_KEY_") || strings.HasPrefix(name, "GIT_CONFIG_VALUE_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// baseEnv is the environment of every git command: the process environment without
// repository overrides, no prompts, no system or user configuration (the behaviour must
// not depend on the host) and untranslated messages.
func baseEnv() []string {
	return append(inheritedEnv(),
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=",
		"SSH_ASKPASS=",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"LC_ALL=C",
	)
}

// gitConfig returns the environment and `-c` options that hand the credentials to git.
// The token itself goes in neither: the credential helper reads the file when git asks.
func (c Credentials) gitConfig() (env, args []string, err error) {
	// Reset helpers a repository's own configuration might name.
	args = []string{"-c", "credential.helper="}
	if c.TokenFile != "" {
		// Fail with a clear message rather than an anonymous authentication error.
		f, err := os.Open(c.TokenFile)
		if err != nil {
			return nil, nil, fmt.Errorf("reading token file: %w", err)
		}
		f.Close()
		user, err := c.username()
		if err != nil {
			return nil, nil, err
		}
		env = append(env, tokenFileEnv+"="+c.TokenFile, usernameEnv+"="+user)
		args = append(args, "-c", "credential.helper="+credentialHelper)
	}

	// Never prompt, never accept an unknown host key.
	ssh := []string{"ssh"}
	if c.SSHKeyFile != "" {
		ssh = append(ssh, "-i", shellQuote(c.SSHKeyFile), "-o", "IdentitiesOnly=yes")
	}
	ssh = append(ssh, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes")
	if c.KnownHostsFile != "" {
		ssh = append(ssh, "-o", "UserKnownHostsFile="+shellQuote(c.KnownHostsFile))
	}
	env = append(env, "GIT_SSH_COMMAND="+strings.Join(ssh, " "), "GIT_SSH_VARIANT=ssh")
	return env, args, nil
}

// username is the user name to send with the token: Username, or UsernameFile's one line
// read now, or "git".
func (c Credentials) username() (string, error) {
	if c.UsernameFile == "" {
		if c.Username == "" {
			return "git", nil
		}
		return c.Username, nil
	}
	b, err := readCredential(c.UsernameFile)
	if err != nil {
		return "", fmt.Errorf("user name file: %w", err)
	}
	user := string(bytes.TrimSpace(b))
	switch {
	case user == "":
		return "", fmt.Errorf("user name file %s is empty", c.UsernameFile)
	case strings.ContainsAny(user, "\r\n\x00"):
		return "", fmt.Errorf("user name file %s holds more than one line; a user name is one line", c.UsernameFile)
	}
	return user, nil
}

// shellQuote quotes s for sh, which runs GIT_SSH_COMMAND.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
