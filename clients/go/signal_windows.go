package idenfymock

import "os"

// terminate: Windows has no SIGTERM to send; the mock is killed.
func terminate(p *os.Process) error { return p.Kill() }
