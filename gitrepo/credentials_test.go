package gitrepo_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/shopset/shopset/gitrepo"
)

// A bad Secret is one clear error at start-up: every case a mounted file can get wrong.
func TestCredentialsCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		return path
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(priv, "")
	require.NoError(t, err)
	key := write("key", string(pem.EncodeToMemory(block)))
	block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("secret"))
	require.NoError(t, err)
	encrypted := write("encrypted", string(pem.EncodeToMemory(block)))
	sshPub, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	hosts := write("known_hosts", "# the Git server\n"+knownhosts.Line([]string{"git.shop.example"}, sshPub)+"\n")

	for _, tc := range []struct {
		name  string
		creds gitrepo.Credentials
		want  string // "" when it is fine
	}{
		{"none", gitrepo.Credentials{}, ""},
		{"token", gitrepo.Credentials{TokenFile: write("token", "ghp_abc\n")}, ""},
		{"SSH key and known hosts", gitrepo.Credentials{SSHKeyFile: key, KnownHostsFile: hosts}, ""},
		{"token and user name file", gitrepo.Credentials{TokenFile: write("token", "ghp_abc\n"), UsernameFile: write("user", "x-access-token\n")}, ""},
		{"user name file missing", gitrepo.Credentials{TokenFile: write("token", "ghp_abc\n"), UsernameFile: filepath.Join(dir, "nope")}, "user name file: open"},
		{"user name file empty", gitrepo.Credentials{TokenFile: write("token", "ghp_abc\n"), UsernameFile: write("user-empty", "\n")}, "is empty"},
		{"user name on two lines", gitrepo.Credentials{TokenFile: write("token", "ghp_abc\n"), UsernameFile: write("user-two", "a\nb\n")}, "holds more than one line"},
		{"user name twice", gitrepo.Credentials{TokenFile: write("token", "ghp_abc\n"), Username: "a", UsernameFile: write("user", "b")}, "give one"},
		{"user name without a token", gitrepo.Credentials{UsernameFile: write("user", "x-access-token\n")}, "give the token file too"},
		{"token missing", gitrepo.Credentials{TokenFile: filepath.Join(dir, "nope")}, "token file: open"},
		{"token empty", gitrepo.Credentials{TokenFile: write("empty", " \n")}, "is empty"},
		{"token on two lines", gitrepo.Credentials{TokenFile: write("two", "abc\ndef\n")}, "holds more than one line"},
		{"key garbage", gitrepo.Credentials{SSHKeyFile: write("garbage", "not a key\n")}, "is not a private key ssh can use"},
		{"key public", gitrepo.Credentials{SSHKeyFile: write("pub", string(ssh.MarshalAuthorizedKey(sshPub)))}, "is not a private key ssh can use"},
		{"key with a passphrase", gitrepo.Credentials{SSHKeyFile: encrypted}, "is protected by a passphrase"},
		{"known hosts malformed", gitrepo.Credentials{SSHKeyFile: key, KnownHostsFile: write("bad_hosts", "git.shop.example ssh-ed25519 !!!\n")}, "known hosts file"},
		{"known hosts empty", gitrepo.Credentials{SSHKeyFile: key, KnownHostsFile: write("no_hosts", "# nothing\n\n")}, "names no host key"},
		{"known hosts a directory", gitrepo.Credentials{KnownHostsFile: dir}, "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.creds.Check()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "ghp_", "a token is never repeated")
		})
	}
}
