package idenfymock

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// The parent-death signal follows the OS thread that started the child: a
// start from a goroutine whose locked thread then exits must not take the
// mock down with that thread.
func TestMockOutlivesTheThreadThatStartedIt(t *testing.T) {
	type result struct {
		m   *Mock
		tid int
		err error
	}
	var r result
	for try := 0; ; try++ {
		done := make(chan result, 1)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
			m, err := Launch(Options{})
			done <- result{m, syscall.Gettid(), err}
		}()
		r = <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		defer r.m.Stop()
		if r.tid != os.Getpid() {
			break
		}
		// The main thread is never retired (the runtime wedges it): try again.
		if try == 10 {
			t.Skip("the goroutine kept landing on the main thread")
		}
	}
	task := fmt.Sprintf("/proc/self/task/%d", r.tid)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(task); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d did not exit", r.tid)
		}
		time.Sleep(time.Millisecond) // polling the thread list, with a deadline
	}
	if _, err := r.m.Health(); err != nil {
		t.Fatalf("the mock died with the thread that started it: %v", err)
	}
	select {
	case <-r.m.Exited():
		t.Fatal("the mock exited")
	default:
	}
	if err := r.m.Stop(); err != nil {
		t.Fatal(err)
	}
}
