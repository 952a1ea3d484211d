// Package idenfymock runs idenfy-mock, a local stand-in for the iDenfy
// identity-verification API, from Go tests, and drives its control API.
//
//	func TestApproves(t *testing.T) {
//		mock := idenfymock.Start(t) // a free port; stopped when the test ends
//		app := NewApp(mock.URL, mock.APIKey, mock.APISecret, mock.SigningKey)
//		scanRef := app.StartVerification("user-1")
//		w, err := mock.WaitForWebhook(scanRef, 10*time.Second)
//		if err != nil {
//			t.Fatal(err)
//		}
//		if !w.VerifySignature(mock.SigningKey) { … }
//	}
//
// Start finds the binary in IDENFY_MOCK_BIN, else as idenfy-mock on PATH,
// starts it on a free loopback port and returns once GET /_mock/health
// answers. The mock never outlives the test process: on Linux the kernel
// kills it when the process dies, however it dies (PR_SET_PDEATHSIG, tied to
// an OS thread this package keeps for the mock's lifetime); elsewhere a small
// sh watchdog does. The package uses the standard library only.
package idenfymock

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options configure Launch and StartWith. The zero value is what Start uses.
type Options struct {
	// Binary is the idenfy-mock executable; default IDENFY_MOCK_BIN, else
	// idenfy-mock on PATH.
	Binary string
	// APIKey, APISecret and SigningKey are the default partner's credentials,
	// passed to the binary (IDENFY_MOCK_API_KEY, …); empty = the mock's
	// defaults. With Config they replace those of its first [[partners]].
	APIKey     string
	APISecret  string
	SigningKey string
	// AdminToken makes the control API require it; the Mock sends it.
	AdminToken string
	// WebhookURL is where webhooks go when a token sends no callbackUrl
	// (--webhook-url).
	WebhookURL string
	// Config is a TOML file with the settings to change (--config).
	Config string
	// DropIn passes --drop-in. It needs an idenfy-mock with drop-in mode
	// (TLS); older binaries refuse to start with it.
	DropIn bool
	// Args are more flags, e.g. []string{"--seed", "7"}.
	Args []string
	// Env are more environment variables ("NAME=value"). The mock inherits
	// this process's environment without any IDENFY_MOCK_* or RUST_LOG
	// variable, so only Options configure it.
	Env []string
	// StartTimeout bounds the start; default 10 s.
	StartTimeout time.Duration
	// StopGrace is how long Stop waits after SIGTERM before it kills; default 10 s.
	StopGrace time.Duration
	// Output receives every line the mock prints (its log); nil = kept only
	// as the last lines (Mock.Output), shown when a start or a test fails.
	Output io.Writer
}

// Mock is a running idenfy-mock and a Client of it: URL, APIKey, APISecret
// and SigningKey are its base URL and default partner's credentials.
type Mock struct {
	*Client
	// Binary is the executable that runs.
	Binary string

	cmd       *exec.Cmd
	stopGrace time.Duration
	exited    chan struct{}
	outDone   chan struct{}    // closed when the output pipe reaches its end
	state     *os.ProcessState // set before exited closes
	waitErr   error
	stdin     *os.File // held open: a binary with exit-with-parent stops when it closes

	mu       sync.Mutex
	lines    []string
	watchdog *watchdog // nil once stopped

	stopOnce sync.Once
	stopErr  error
}

const keepLines = 200

// Start starts idenfy-mock for the test with default options and stops it
// when the test (and its subtests) end. A start that fails fails the test.
func Start(t testing.TB) *Mock {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, opts Options) *Mock {
	t.Helper()
	m, err := Launch(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("idenfy-mock output (last lines):\n%s", strings.Join(m.Output(), "\n"))
		}
		if err := m.Stop(); err != nil {
			t.Error(err)
		}
	})
	return m
}

// Launch starts idenfy-mock on a free loopback port and returns once
// GET /_mock/health answers. The caller stops it with Stop (a TestMain can
// share one mock across a package this way).
func Launch(opts Options) (*Mock, error) {
	binary, err := findBinary(opts.Binary)
	if err != nil {
		return nil, err
	}
	startTimeout := opts.StartTimeout
	if startTimeout <= 0 {
		startTimeout = 10 * time.Second
	}
	deadline := time.Now().Add(startTimeout)
	m := &Mock{
		Client:    NewClient(""),
		Binary:    binary,
		stopGrace: opts.StopGrace,
		exited:    make(chan struct{}),
		outDone:   make(chan struct{}),
	}
	if m.stopGrace <= 0 {
		m.stopGrace = 10 * time.Second
	}
	if opts.APIKey != "" {
		m.APIKey = opts.APIKey
	}
	if opts.APISecret != "" {
		m.APISecret = opts.APISecret
	}
	if opts.SigningKey != "" {
		m.SigningKey = opts.SigningKey
	}
	m.AdminToken = opts.AdminToken

	args := []string{"--listen", "127.0.0.1:0"}
	if opts.Config != "" {
		args = append(args, "--config", opts.Config)
	}
	if opts.WebhookURL != "" {
		args = append(args, "--webhook-url", opts.WebhookURL)
	}
	if opts.DropIn {
		args = append(args, "--drop-in")
	}
	args = append(args, opts.Args...)

	env := []string{}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "IDENFY_MOCK_") || strings.HasPrefix(kv, "RUST_LOG=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"RUST_LOG=info,idenfy_mock::request=warn", // the address is read from the "listening on" line; no line per request
		"IDENFY_MOCK_API_KEY="+m.APIKey,
		"IDENFY_MOCK_API_SECRET="+m.APISecret,
		"IDENFY_MOCK_SIGNING_KEY="+m.SigningKey,
	)
	if useExitWithParent {
		env = append(env, "IDENFY_MOCK_EXIT_WITH_PARENT=1")
	}
	if opts.AdminToken != "" {
		env = append(env, "IDENFY_MOCK_ADMIN_TOKEN="+opts.AdminToken)
	}
	env = append(env, opts.Env...)

	// stdin: a pipe nobody writes to, held open while the Mock lives. stdout
	// and stderr: a pipe read here to the end (never filling up).
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("idenfy-mock: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		stdinR.Close()
		stdinW.Close()
		return nil, fmt.Errorf("idenfy-mock: %w", err)
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	cmd.Stdin = stdinR
	cmd.Stdout = outW
	cmd.Stderr = outW
	if usePdeathsig {
		cmd.SysProcAttr = sysProcAttr()
	}
	m.cmd = cmd
	m.stdin = stdinW

	if err := startLocked(cmd, m); err != nil {
		stdinR.Close()
		stdinW.Close()
		outR.Close()
		outW.Close()
		return nil, fmt.Errorf("idenfy-mock: cannot run %s: %w", binary, err)
	}
	stdinR.Close()
	outW.Close()

	if useWatchdog {
		// Best effort: without sh the mock still stops with Stop.
		if wd, err := startWatchdog(cmd.Process.Pid, m.stopGrace); err == nil {
			m.mu.Lock()
			select {
			case <-m.exited: // already gone: its pid must not be signalled later
				m.mu.Unlock()
				wd.stop()
			default:
				m.watchdog = wd
				m.mu.Unlock()
			}
		}
	}

	addr := make(chan string, 1)
	go m.readOutput(outR, opts.Output, addr)

	fail := func(why string) (*Mock, error) {
		_ = m.Stop()
		select { // the last lines, e.g. why it refused to start
		case <-m.outDone:
		case <-time.After(time.Second):
		}
		return nil, fmt.Errorf("idenfy-mock (%s) did not start within %v: %s; its output:\n%s",
			binary, startTimeout, why, m.outputTail(30))
	}
	var base string
	select {
	case base = <-addr:
	case <-m.exited:
		return fail("it exited with " + m.exitDescription())
	case <-time.After(time.Until(deadline)):
		return fail("it did not print its address")
	}
	m.URL = base
	var lastErr error
	for {
		m.Timeout = time.Until(deadline)
		if m.Timeout < time.Millisecond {
			m.Timeout = time.Millisecond
		}
		h, err := m.Health()
		if err == nil {
			if h.ExitWithParent {
				m.stopWatchdog() // the binary stops with this process by itself
			}
			break
		}
		lastErr = err
		select {
		case <-m.exited:
			return fail("it exited with " + m.exitDescription())
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fail(fmt.Sprintf("GET /_mock/health did not answer: %v", lastErr))
		}
	}
	m.Timeout = 0
	return m, nil
}

// startLocked starts cmd from a goroutine locked to its OS thread and keeps
// that goroutine (and so the thread) until the process exits: Linux sends
// the parent-death signal when the thread that started the child exits, not
// the process, and the Go runtime may retire threads.
func startLocked(cmd *exec.Cmd, m *Mock) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// Never unlocked: once the mock has exited, the thread may go too.
		if err := cmd.Start(); err != nil {
			started <- err
			close(m.exited)
			return
		}
		started <- nil
		m.waitErr = cmd.Wait()
		m.state = cmd.ProcessState
		m.mu.Lock()
		close(m.exited)
		m.mu.Unlock()
		// Reaped: its pid may be reused, so the watchdog must not outlive it.
		m.stopWatchdog()
	}()
	return <-started
}

func (m *Mock) stopWatchdog() {
	m.mu.Lock()
	wd := m.watchdog
	m.watchdog = nil
	m.mu.Unlock()
	if wd != nil {
		wd.stop()
	}
}

// useWatchdog is true where the kernel cannot stop the mock with this
// process; usePdeathsig where it can; useExitWithParent asks the binary to
// stop when its stdin closes, and a binary that does makes the watchdog
// unnecessary. Tests switch them to check each way out on its own.
var (
	useWatchdog       = runtime.GOOS != "linux"
	usePdeathsig      = runtime.GOOS == "linux"
	useExitWithParent = true
)

var (
	listeningLine = regexp.MustCompile(`listening on (\S+)`)
	baseURLLine   = regexp.MustCompile(`API base URL\s+(\S+)`)
)

func (m *Mock) readOutput(r *os.File, to io.Writer, addr chan<- string) {
	defer close(m.outDone)
	defer r.Close()
	br := bufio.NewReaderSize(r, 64*1024)
	found := false
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			line = strings.TrimRight(line, "\r\n")
			m.mu.Lock()
			m.lines = append(m.lines, line)
			if len(m.lines) > keepLines {
				m.lines = append(m.lines[:0:0], m.lines[len(m.lines)-keepLines:]...)
			}
			m.mu.Unlock()
			if to != nil {
				fmt.Fprintln(to, line)
			}
			if !found {
				if g := listeningLine.FindStringSubmatch(line); g != nil {
					found = true
					addr <- "http://" + g[1]
				} else if g := baseURLLine.FindStringSubmatch(line); g != nil {
					found = true
					addr <- strings.TrimRight(g[1], "/")
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// Output returns the last lines the mock printed (up to 200).
func (m *Mock) Output() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.lines...)
}

func (m *Mock) outputTail(n int) string {
	lines := m.Output()
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return "(no output)"
	}
	return strings.Join(lines, "\n")
}

// PID is the mock's process id.
func (m *Mock) PID() int { return m.cmd.Process.Pid }

// Exited is closed once the mock process has exited.
func (m *Mock) Exited() <-chan struct{} { return m.exited }

func (m *Mock) exitDescription() string {
	if m.state != nil {
		return m.state.String()
	}
	if m.waitErr != nil {
		return m.waitErr.Error()
	}
	return "an unknown status"
}

// Stop stops the mock: SIGTERM, then a kill after Options.StopGrace. It
// returns an error when the mock did not exit cleanly (it had crashed, or
// had to be killed). Calling it again returns the same result.
func (m *Mock) Stop() error {
	m.stopOnce.Do(func() { m.stopErr = m.stop() })
	return m.stopErr
}

func (m *Mock) stop() error {
	defer func() {
		m.stopWatchdog()
		m.stdin.Close()
	}()
	var early bool
	select {
	case <-m.exited:
		early = true
	default:
	}
	if early {
		if m.state != nil && m.state.Success() {
			return nil
		}
		return fmt.Errorf("idenfy-mock had exited before Stop, with %s; its output:\n%s",
			m.exitDescription(), m.outputTail(20))
	}
	m.stopWatchdog()
	if err := terminate(m.cmd.Process); err != nil {
		_ = m.cmd.Process.Kill()
	}
	select {
	case <-m.exited:
	case <-time.After(m.stopGrace):
		_ = m.cmd.Process.Kill()
		<-m.exited
		return fmt.Errorf("idenfy-mock did not stop within %v of SIGTERM and was killed; its output:\n%s",
			m.stopGrace, m.outputTail(20))
	}
	if m.state != nil && !m.state.Success() {
		return fmt.Errorf("idenfy-mock stopped with %s; its output:\n%s", m.exitDescription(), m.outputTail(20))
	}
	return nil
}

func findBinary(binary string) (string, error) {
	if binary != "" {
		return binary, nil
	}
	if env := os.Getenv("IDENFY_MOCK_BIN"); env != "" {
		return env, nil
	}
	path, err := exec.LookPath("idenfy-mock")
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", errors.New("idenfy-mock: no binary: set IDENFY_MOCK_BIN or put idenfy-mock on PATH (or set Options.Binary)")
		}
		return "", fmt.Errorf("idenfy-mock: %w", err)
	}
	return path, nil
}
