//go:build !windows

package idenfymock

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests check that the mock never outlives the test process. A child
// test process (this test binary again) starts a mock, prints its pid and
// blocks; the test kills the child with SIGKILL and the mock must go.

const childEnv = "IDENFYMOCK_TEST_CHILD"

// TestChildProcess is the child's side; it does nothing in a normal run.
func TestChildProcess(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("runs only as the child of the process-death tests")
	}
	if mode == "watchdog" {
		// The watchdog alone: no parent-death signal, and the binary not
		// asked to stop when its stdin closes.
		useWatchdog, usePdeathsig, useExitWithParent = true, false, false
	}
	m := Start(t)
	fmt.Printf("pid %d\n", m.PID())
	// Block until the parent kills us (or closes our stdin).
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
}

// gone reports whether pid has exited (a zombie counts: it runs no more).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
		return true
	}
	if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		s := string(stat)
		if i := strings.LastIndexByte(s, ')'); i >= 0 && len(s) > i+2 {
			return s[i+2] == 'Z' || s[i+2] == 'X'
		}
	} else if os.IsNotExist(err) && runtime.GOOS == "linux" {
		return true
	}
	return false
}

func waitGone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !gone(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the mock (pid %d) outlived the killed test process by %v", pid, within)
		}
		time.Sleep(5 * time.Millisecond) // polling the process table, with a deadline
	}
}

func killChildAndCheck(t *testing.T, mode string) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX signals")
	}
	child := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	child.Env = append(os.Environ(), childEnv+"="+mode)
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "pid ") {
				lines <- sc.Text()
				return
			}
		}
		close(lines)
	}()
	var line string
	select {
	case l, ok := <-lines:
		if !ok {
			_ = child.Wait()
			t.Fatal("the child printed no pid")
		}
		line = l
	case <-time.After(30 * time.Second):
		_ = child.Process.Kill()
		t.Fatal("the child did not start a mock")
	}
	pid, err := strconv.Atoi(strings.TrimPrefix(line, "pid "))
	if err != nil || gone(pid) {
		t.Fatalf("bad pid line %q", line)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	waitGone(t, pid, 5*time.Second)
}

func TestMockDiesWithAKilledTestProcess(t *testing.T) {
	killChildAndCheck(t, "default")
}

func TestWatchdogStopsTheMockOfAKilledTestProcess(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	killChildAndCheck(t, "watchdog")
}

// launchWithWatchdog launches a mock with the watchdog switched on and
// with or without asking the binary to stop with its stdin, and returns it
// with the watchdog Launch kept (nil: none). Skipped where there is no
// /bin/sh for the watchdog.
func launchWithWatchdog(t *testing.T, exitWithParent bool) (*Mock, *watchdog) {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil || runtime.GOOS == "windows" {
		t.Skip("no /bin/sh")
	}
	savedWatchdog, savedExit := useWatchdog, useExitWithParent
	useWatchdog, useExitWithParent = true, exitWithParent
	m, err := Launch(Options{})
	useWatchdog, useExitWithParent = savedWatchdog, savedExit
	if err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	wd := m.watchdog
	m.mu.Unlock()
	return m, wd
}

func TestWatchdogEndsWithStop(t *testing.T) {
	// A binary that stops with its stdin makes Launch drop the watchdog, so
	// the binary is not asked to here.
	m, wd := launchWithWatchdog(t, false)
	if wd == nil {
		t.Fatal("no watchdog")
	}
	if err := m.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wd.done:
	default:
		t.Fatal("the watchdog outlived Stop")
	}
}

// A binary that stops by itself when its stdin closes (exitWithParent in
// /_mock/health) needs no watchdog: Launch ends the one it started.
func TestWatchdogDroppedWhenTheBinaryStopsWithItsParent(t *testing.T) {
	m, wd := launchWithWatchdog(t, true)
	defer m.Stop()
	h, err := m.Health()
	if err != nil || !h.ExitWithParent {
		t.Fatalf("health: %+v %v", h, err)
	}
	if wd != nil {
		t.Fatal("the watchdog was kept beside a binary that stops with its parent")
	}
}
