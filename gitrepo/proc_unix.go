//go:build unix

package gitrepo

import (
	"os/exec"
	"syscall"
)

// killGroupOnCancel runs git in its own process group and kills the whole group when the
// context ends: killing git alone would leave git-remote-https or ssh running, holding
// the output pipes and the connection until they time out on their own.
func killGroupOnCancel(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error {
		return syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	}
}
