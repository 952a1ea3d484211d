package idenfymock

import "syscall"

// sysProcAttr makes the kernel kill the mock when the thread that started
// it exits; startLocked keeps that thread for the mock's whole life, so in
// effect when this process dies, however it dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
