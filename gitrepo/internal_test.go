package gitrepo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"fatal: unable to access 'https://user:s3cret@git.example.com/r.git/': 403", "fatal: unable to access 'https://***@git.example.com/r.git/': 403"},
		{"https://tok3n@host/r and http://a:b@h/x", "https://***@host/r and http://***@h/x"},
		{"fatal: '/srv/repo' does not appear to be a git repository", "fatal: '/srv/repo' does not appear to be a git repository"},
		{"ssh://git@host/r.git", "ssh://***@host/r.git"},
	} {
		assert.Equal(t, tc.want, redact(tc.in))
	}
}

func TestCheckURL(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	for _, tc := range []struct{ in, want string }{
		{"https://git.example.com/r.git", "https://git.example.com/r.git"},
		{"git@git.example.com:org/r.git", "git@git.example.com:org/r.git"},
		{"/srv/git/r.git", "/srv/git/r.git"},
		{"repos/r", filepath.Join(wd, "repos/r")},
		{"./a:b", filepath.Join(wd, "a:b")},
	} {
		got, err := checkURL(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	for _, bad := range []string{"", "--upload-pack=touch /tmp/x", "https://h/r\nx"} {
		_, err := checkURL(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestCredentialsStayOutOfArgsAndEnv(t *testing.T) {
	const token = "tok-abcdef123456"
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(token), 0o600))
	env, args, err := Credentials{
		TokenFile:      tokenFile,
		SSHKeyFile:     filepath.Join(dir, "it's key"),
		KnownHostsFile: filepath.Join(dir, "known hosts"),
	}.gitConfig()
	require.NoError(t, err)
	all := strings.Join(append(env, args...), "\n")
	assert.NotContains(t, all, token)
	assert.Contains(t, env, tokenFileEnv+"="+tokenFile)
	assert.Contains(t, env, usernameEnv+"=git")
	assert.Contains(t, all, "GIT_SSH_COMMAND=ssh -i '"+dir+"/it'\\''s key' -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile='"+dir+"/known hosts'")

	env, _, err = Credentials{}.gitConfig()
	require.NoError(t, err)
	assert.Contains(t, env, "GIT_SSH_COMMAND=ssh -o BatchMode=yes -o StrictHostKeyChecking=yes")
}

func TestSubcommand(t *testing.T) {
	assert.Equal(t, "fetch", subcommand([]string{"-c", "a=b", "fetch", "origin"}))
	assert.Equal(t, "log", subcommand([]string{"-c", "log.showSignature=false", "log", "-z"}))
	assert.Equal(t, "(none)", subcommand(nil))
}
