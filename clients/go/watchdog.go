package idenfymock

import (
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// The watchdog stands in for the parent-death signal where there is none: a
// small sh process whose stdin is a pipe only this process writes to. When
// this process dies, however it dies, the kernel closes the pipe; the
// watchdog reads end-of-file and stops the mock (SIGTERM, then SIGKILL after
// the grace period).
const watchdogScript = `trap '' INT
alive() { # running: a zombie (Linux /proc) counts as gone
  kill -0 "$1" 2>/dev/null || return 1
  [ -r "/proc/$1/stat" ] && read -r s <"/proc/$1/stat" && case $s in *") Z"* | *") X"*) return 1 ;; esac
  return 0
}
while read -r _; do :; done
if kill -TERM "$1" 2>/dev/null; then
  i=0
  while alive "$1"; do
    if [ "$i" -ge "$2" ]; then kill -KILL "$1" 2>/dev/null; break; fi
    if sleep 0.1 2>/dev/null; then i=$((i + 1)); else sleep 1; i=$((i + 10)); fi
  done
fi
`

type watchdog struct {
	cmd  *exec.Cmd
	pipe *os.File
	once sync.Once
	done chan struct{}
}

func startWatchdog(pid int, grace time.Duration) (*watchdog, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	tenths := int((grace + 100*time.Millisecond - 1) / (100 * time.Millisecond))
	cmd := exec.Command("/bin/sh", "-c", watchdogScript, "idenfy-mock-watchdog", strconv.Itoa(pid), strconv.Itoa(tenths))
	cmd.Stdin = r
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	r.Close()
	wd := &watchdog{cmd: cmd, pipe: w, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(wd.done)
	}()
	return wd, nil
}

// stop ends the watchdog without it touching the mock (safe to call twice).
func (wd *watchdog) stop() {
	wd.once.Do(func() {
		_ = wd.cmd.Process.Kill()
		<-wd.done
		wd.pipe.Close()
	})
}
