<?php

declare(strict_types=1);

namespace IdenfyMock\Tests;

use IdenfyMock\IdenfyMock;
use PHPUnit\Framework\TestCase;

/**
 * The mock never outlives the PHP process that started it: a child PHP
 * process starts one and is killed with SIGKILL (no shutdown function runs);
 * the mock must be gone soon after.
 */
final class ProcessDeathTest extends TestCase
{
    private static function gone(int $pid): bool
    {
        $stat = @file_get_contents("/proc/$pid/stat");
        if ($stat !== false) {
            $state = substr($stat, strrpos($stat, ')') + 2, 1);
            return $state === 'Z' || $state === 'X'; // a zombie runs no more
        }
        if (is_dir('/proc/self')) {
            return true;
        }
        return function_exists('posix_kill') && !posix_kill($pid, 0);
    }

    public function testAKilledTestProcessTakesItsMockAlong(): void
    {
        if (DIRECTORY_SEPARATOR !== '/') {
            $this->markTestSkipped('POSIX signals');
        }
        $src = dirname((new \ReflectionClass(IdenfyMock::class))->getFileName());
        $child = proc_open(
            [PHP_BINARY, __DIR__ . '/fixtures/orphan.php', $src],
            [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['file', '/dev/null', 'w']],
            $pipes,
        );
        $this->assertIsResource($child);
        $read = [$pipes[1]];
        $none = null;
        $this->assertSame(1, stream_select($read, $none, $none, 30), 'the child started no mock');
        $line = trim((string) fgets($pipes[1]));
        $this->assertMatchesRegularExpression('/^pid (\d+) watchdog (yes|no) log (.+)$/', $line);
        preg_match('/^pid (\d+) watchdog (yes|no) log (.+)$/', $line, $m);
        [, $pid, $watchdog, $log] = $m;
        $pid = (int) $pid;
        $this->assertFalse(self::gone($pid), 'the mock runs');
        $this->assertFileExists($log);

        proc_terminate($child, 9);
        $deadline = microtime(true) + 5.0;
        while (!self::gone($pid)) {
            if (microtime(true) > $deadline) {
                if (function_exists('posix_kill')) {
                    posix_kill($pid, 9);
                }
                $this->fail("the mock (pid $pid) outlived its killed PHP process by 5 s");
            }
            usleep(5000); // polling the process table, with a deadline
        }
        fclose($pipes[0]);
        fclose($pipes[1]);
        proc_close($child);
        $this->assertTrue(self::gone($pid));
        if ($watchdog === 'yes') { // the watchdog also removes the temporary log
            $deadline = microtime(true) + 5.0;
            while (is_file($log) && microtime(true) < $deadline) {
                usleep(10000); // polling the file system, with a deadline
                clearstatcache();
            }
            $this->assertFileDoesNotExist($log);
        }
    }

    public function testAFinishedScriptStopsItsMock(): void
    {
        $src = dirname((new \ReflectionClass(IdenfyMock::class))->getFileName());
        $code = 'spl_autoload_register(function ($c) { require ' . var_export($src, true) . ' . "/" . substr($c, 11) . ".php"; });'
            . '$m = IdenfyMock\IdenfyMock::start(); echo $m->pid, "\n"; $GLOBALS["keep"] = $m; exit(0);';
        $out = [];
        exec(escapeshellarg(PHP_BINARY) . ' -r ' . escapeshellarg($code), $out, $status);
        $this->assertSame(0, $status);
        $pid = (int) ($out[0] ?? 0);
        $this->assertGreaterThan(0, $pid);
        // exit() ran the shutdown function, which waited for the mock to exit.
        $this->assertTrue(self::gone($pid), "pid $pid still runs after its script ended");
    }
}
