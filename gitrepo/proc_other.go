//go:build !unix

package gitrepo

import "os/exec"

// killGroupOnCancel keeps exec's default, killing git alone; WaitDelay bounds the wait
// for helpers it leaves behind.
func killGroupOnCancel(*exec.Cmd) {}
