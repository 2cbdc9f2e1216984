package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// maxCredentialFile bounds what Check reads of a credential file: tokens, keys and
// known_hosts files are kilobytes.
const maxCredentialFile = 1 << 20

// Check reads the credential files once and says what is wrong with them: a token or user
// name that is empty or spans lines, a user name without a token (or given twice), a
// private key ssh cannot use (malformed, or protected by a passphrase nobody can type), a
// known_hosts file that is malformed or names no host. A service checks at start-up, so
// that a bad Secret is one clear error rather than a fetch failing again at every
// interval. The files are still read at every use.
func (c Credentials) Check() error {
	switch {
	case c.UsernameFile != "" && c.Username != "":
		return errors.New("a user name and a user name file: give one")
	case (c.UsernameFile != "" || c.Username != "") && c.TokenFile == "":
		return errors.New("a user name is sent with a token: give the token file too")
	}
	if c.UsernameFile != "" {
		if _, err := c.username(); err != nil {
			return err
		}
	}
	if c.TokenFile != "" {
		b, err := readCredential(c.TokenFile)
		if err != nil {
			return fmt.Errorf("token file: %w", err)
		}
		token := bytes.TrimSpace(b)
		switch {
		case len(token) == 0:
			return fmt.Errorf("token file %s is empty", c.TokenFile)
		case bytes.ContainsAny(token, "\r\n\x00"):
			return fmt.Errorf("token file %s holds more than one line; a token is one line", c.TokenFile)
		}
	}
	if c.SSHKeyFile != "" {
		b, err := readCredential(c.SSHKeyFile)
		if err != nil {
			return fmt.Errorf("SSH key file: %w", err)
		}
		if _, err := ssh.ParseRawPrivateKey(b); err != nil {
			var pass *ssh.PassphraseMissingError
			if errors.As(err, &pass) {
				return fmt.Errorf("SSH key file %s is protected by a passphrase, which nobody can type here: use a key without one (ssh-keygen -p -N '')", c.SSHKeyFile)
			}
			return fmt.Errorf("SSH key file %s is not a private key ssh can use: %w", c.SSHKeyFile, err)
		}
	}
	if c.KnownHostsFile != "" {
		b, err := readCredential(c.KnownHostsFile)
		if err != nil {
			return fmt.Errorf("known hosts file: %w", err)
		}
		if _, err := knownhosts.New(c.KnownHostsFile); err != nil {
			return fmt.Errorf("known hosts file %s: %w", c.KnownHostsFile, err)
		}
		if !hasHostKey(b) {
			return fmt.Errorf("known hosts file %s names no host key, so every SSH connection would be refused (ssh-keyscan HOST >> it)", c.KnownHostsFile)
		}
	}
	return nil
}

func readCredential(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCredentialFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(b) > maxCredentialFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxCredentialFile)
	}
	return b, nil
}

// hasHostKey reports whether a known_hosts file has at least one entry (ParseKnownHosts
// skips comments and blank lines, and says io.EOF when nothing else is left).
func hasHostKey(b []byte) bool {
	_, _, _, _, _, err := ssh.ParseKnownHosts(b)
	return err == nil
}
