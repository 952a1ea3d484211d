//go:build !linux

package idenfymock

import "syscall"

// sysProcAttr: no parent-death signal outside Linux; the watchdog stands in.
func sysProcAttr() *syscall.SysProcAttr { return nil }
