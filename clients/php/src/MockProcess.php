<?php

declare(strict_types=1);

namespace IdenfyMock;

/**
 * The idenfy-mock process behind an IdenfyMock.
 *
 * Never leaving the mock behind:
 *  1. IDENFY_MOCK_EXIT_WITH_PARENT=1 with stdin a pipe only this process
 *     holds: a binary that supports it stops when the pipe closes, which the
 *     kernel does when this process dies, however it dies (older binaries
 *     ignore the variable);
 *  2. until then (and unless /_mock/health says exitWithParent), a watchdog:
 *     a small sh process whose stdin is another such pipe; on end-of-file it
 *     stops the mock (SIGTERM, then SIGKILL after the grace period) and
 *     removes its temporary log. It covers kill -9, fatal errors and exit()
 *     alike;
 *  3. a shutdown function stops every mock still running on a normal exit.
 *
 * @internal
 */
final class MockProcess
{
    private const WATCHDOG = <<<'SH'
        trap '' INT
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
        if [ -n "$3" ]; then rm -f "$3"; fi
        SH;

    /** @var resource */
    private $process;
    /** @var resource */
    private $stdin;
    /** @var resource|null */
    private $watchdog = null;
    /** @var resource|null */
    private $watchdogPipe = null;
    private bool $exited = false;
    private ?int $exitCode = null;
    private bool $stopped = false;
    private ?int $stopResult = null;
    public readonly int $pid;

    /**
     * @param list<string>          $args
     * @param array<string, string> $env
     */
    public function __construct(
        public readonly string $binary,
        array $args,
        array $env,
        public readonly string $logFile,
        private readonly bool $ownLog,
        private readonly float $grace,
    ) {
        $spec = [0 => ['pipe', 'r'], 1 => ['file', $logFile, 'a'], 2 => ['file', $logFile, 'a']];
        $process = @proc_open([$binary, ...$args], $spec, $pipes, null, $env);
        if (!is_resource($process)) {
            throw new IdenfyMockException(sprintf('idenfy-mock: cannot run %s: %s', $binary, error_get_last()['message'] ?? 'proc_open failed'));
        }
        $this->process = $process;
        $this->stdin = $pipes[0];
        $this->pid = (int) proc_get_status($process)['pid'];
        if (DIRECTORY_SEPARATOR === '/' && is_executable('/bin/sh')) {
            $this->startWatchdog();
        }
    }

    private function startWatchdog(): void
    {
        $spec = [0 => ['pipe', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']];
        $tenths = (string) max(1, (int) ceil($this->grace * 10)); // the grace, in tenths of a second
        $log = $this->ownLog ? $this->logFile : ''; // a temporary log goes with the mock
        $wd = @proc_open(['/bin/sh', '-c', self::WATCHDOG, 'idenfy-mock-watchdog', (string) $this->pid, $tenths, $log], $spec, $pipes);
        if (is_resource($wd)) { // best effort: without it, stop() and the shutdown function remain
            $this->watchdog = $wd;
            $this->watchdogPipe = $pipes[0];
        }
    }

    public function hasWatchdog(): bool
    {
        return $this->watchdog !== null;
    }

    /** Ends the watchdog without it touching the mock. */
    public function killWatchdog(): void
    {
        if ($this->watchdog === null) {
            return;
        }
        proc_terminate($this->watchdog, 9);
        fclose($this->watchdogPipe);
        proc_close($this->watchdog);
        $this->watchdog = null;
        $this->watchdogPipe = null;
    }

    public function running(): bool
    {
        if ($this->exited) {
            return false;
        }
        $status = proc_get_status($this->process);
        if ($status['running']) {
            return true;
        }
        // Reaped now: its pid may be reused, so the watchdog must go too.
        $this->exited = true;
        $this->exitCode = $status['signaled'] ? 128 + (int) $status['termsig'] : (int) $status['exitcode'];
        $this->killWatchdog();
        return false;
    }

    /** The exit status once it has exited (128 + n for signal n). */
    public function exitCode(): ?int
    {
        $this->running();
        return $this->exitCode;
    }

    public function output(): string
    {
        $text = @file_get_contents($this->logFile);
        return $text === false ? '' : $text;
    }

    public function tail(int $lines = 30): string
    {
        $all = rtrim($this->output(), "\n");
        if ($all === '') {
            return '(no output)';
        }
        return implode("\n", array_slice(explode("\n", $all), -$lines));
    }

    /** Removes the log file when it is a temporary one of ours. */
    public function discardLog(): void
    {
        if ($this->ownLog) {
            @unlink($this->logFile);
        }
    }

    /**
     * SIGTERM, then SIGKILL after $grace seconds. Returns the exit status,
     * or null when it had to be killed. Calling it again returns the same.
     */
    public function stop(?float $grace = null): ?int
    {
        if ($this->stopped) {
            return $this->stopResult;
        }
        $this->stopped = true;
        $this->killWatchdog();
        $killed = false;
        if ($this->running()) {
            proc_terminate($this->process, 15);
            $deadline = microtime(true) + ($grace ?? $this->grace);
            while ($this->running()) {
                if (microtime(true) > $deadline) {
                    proc_terminate($this->process, 9);
                    $killed = true;
                    $hard = microtime(true) + 5.0;
                    while ($this->running() && microtime(true) < $hard) {
                        usleep(2000);
                    }
                    break;
                }
                usleep(2000); // polling the process status, with a deadline
            }
        }
        fclose($this->stdin);
        proc_close($this->process);
        $this->stopResult = $killed ? null : $this->exitCode;
        if ($this->ownLog && $this->stopResult === 0) {
            @unlink($this->logFile);
        }
        return $this->stopResult;
    }
}
