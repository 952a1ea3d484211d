<?php

declare(strict_types=1);

namespace IdenfyMock;

/**
 * A running idenfy-mock and a client of it.
 *
 *     $mock = IdenfyMock::start();           // a free loopback port, ready
 *     $app = new MyApp($mock->url, $mock->apiKey, $mock->apiSecret);
 *     $webhook = $mock->waitForWebhook($scanRef);
 *     $mock->stop();
 *
 * The binary is IDENFY_MOCK_BIN, else idenfy-mock on PATH. The mock never
 * outlives this PHP process: stop() ends it, a shutdown function stops any
 * left running, and a watchdog stops it when the process dies otherwise
 * (kill -9, a crash). Nothing here depends on PHPUnit or Pest.
 */
final class IdenfyMock extends Client
{
    private const OPTIONS = [
        'binary', 'apiKey', 'apiSecret', 'signingKey', 'adminToken', 'webhookUrl', 'config', 'seed',
        'dropIn', 'args', 'env', 'startTimeout', 'stopTimeout', 'log',
    ];

    /** @var array<int, \WeakReference<self>> */
    private static array $live = [];
    private static bool $hooked = false;

    /** The mock's process id. */
    public readonly int $pid;
    /** The executable that runs. */
    public readonly string $binary;
    /** The file the mock's output (its log) goes to. */
    public readonly string $logFile;

    private function __construct(string $url, array $credentials, private readonly MockProcess $process, public float $stopTimeout)
    {
        parent::__construct($url, $credentials['apiKey'], $credentials['apiSecret'], $credentials['signingKey'], $credentials['adminToken']);
        $this->pid = $process->pid;
        $this->binary = $process->binary;
        $this->logFile = $process->logFile;
    }

    /**
     * Starts idenfy-mock on a free loopback port and returns once
     * GET /_mock/health answers.
     *
     * Options:
     *  - binary: the executable (default IDENFY_MOCK_BIN, else idenfy-mock on PATH);
     *  - apiKey, apiSecret, signingKey: the default partner's credentials,
     *    passed to the binary (default the mock's; with config they replace
     *    those of its first [[partners]]);
     *  - adminToken: makes the control API require it (this client sends it);
     *  - webhookUrl: --webhook-url, where webhooks go without a callbackUrl;
     *  - config: --config, a TOML file with the settings to change;
     *  - seed: --seed, reproducible ids;
     *  - dropIn: passes --drop-in (needs an idenfy-mock with drop-in mode, TLS);
     *  - args: more flags; env: more environment variables (name => value);
     *    the mock inherits this process's environment without IDENFY_MOCK_*
     *    and RUST_LOG, so only these options configure it;
     *  - startTimeout (10.0), stopTimeout (10.0): seconds;
     *  - log: a file for its output (default a temporary file, removed by a
     *    clean stop()).
     *
     * @throws IdenfyMockException when it cannot start, with its output
     */
    public static function start(array $options = []): self
    {
        $unknown = array_diff(array_keys($options), self::OPTIONS);
        if ($unknown !== []) {
            throw new \InvalidArgumentException('idenfy-mock: unknown start() option(s): ' . implode(', ', $unknown) . '; known: ' . implode(', ', self::OPTIONS));
        }
        $binary = self::findBinary($options['binary'] ?? null);
        $credentials = [
            'apiKey' => $options['apiKey'] ?? self::DEFAULT_API_KEY,
            'apiSecret' => $options['apiSecret'] ?? self::DEFAULT_API_SECRET,
            'signingKey' => $options['signingKey'] ?? self::DEFAULT_SIGNING_KEY,
            'adminToken' => $options['adminToken'] ?? null,
        ];
        $startTimeout = (float) ($options['startTimeout'] ?? 10.0);
        $stopTimeout = (float) ($options['stopTimeout'] ?? 10.0);
        $deadline = microtime(true) + $startTimeout;

        $args = ['--listen', '127.0.0.1:0'];
        foreach (['config' => '--config', 'webhookUrl' => '--webhook-url', 'seed' => '--seed'] as $key => $flag) {
            if (isset($options[$key])) {
                array_push($args, $flag, (string) $options[$key]);
            }
        }
        if (!empty($options['dropIn'])) {
            $args[] = '--drop-in';
        }
        foreach ($options['args'] ?? [] as $arg) {
            $args[] = (string) $arg;
        }

        $env = [];
        foreach (getenv() as $name => $value) {
            if (!str_starts_with((string) $name, 'IDENFY_MOCK_') && $name !== 'RUST_LOG') {
                $env[$name] = $value;
            }
        }
        $env['RUST_LOG'] = 'info,idenfy_mock::request=warn'; // the address is read from the "listening on" line; no line per request
        $env['IDENFY_MOCK_API_KEY'] = $credentials['apiKey'];
        $env['IDENFY_MOCK_API_SECRET'] = $credentials['apiSecret'];
        $env['IDENFY_MOCK_SIGNING_KEY'] = $credentials['signingKey'];
        $env['IDENFY_MOCK_EXIT_WITH_PARENT'] = '1';
        if ($credentials['adminToken'] !== null) {
            $env['IDENFY_MOCK_ADMIN_TOKEN'] = $credentials['adminToken'];
        }
        foreach ($options['env'] ?? [] as $name => $value) {
            $env[$name] = (string) $value;
        }

        $ownLog = !isset($options['log']);
        $logFile = $options['log'] ?? tempnam(sys_get_temp_dir(), 'idenfy-mock-');
        if ($logFile === false) {
            throw new IdenfyMockException('idenfy-mock: cannot create a temporary file for its output');
        }
        $process = new MockProcess($binary, $args, $env, $logFile, $ownLog, $stopTimeout);
        $fail = static function (string $why) use ($process, $binary, $startTimeout): IdenfyMockException {
            $process->stop(1.0);
            $error = new IdenfyMockException(sprintf(
                "idenfy-mock (%s) did not start within %ss: %s; its output:\n%s",
                $binary,
                $startTimeout,
                $why,
                $process->tail(),
            ));
            $process->discardLog(); // its output is in the message
            return $error;
        };

        $url = null;
        while ($url === null) {
            $out = $process->output();
            if (preg_match('/listening on (\S+)\s/', $out, $m)) {
                $url = 'http://' . $m[1];
            } elseif (preg_match('/API base URL\s+(\S+)\s/', $out, $m)) {
                $url = rtrim($m[1], '/');
            } elseif (!$process->running()) {
                throw $fail('it exited with status ' . $process->exitCode());
            } elseif (microtime(true) > $deadline) {
                throw $fail('it did not print its address');
            } else {
                usleep(1000); // polling its output, with a deadline
            }
        }

        $mock = new self($url, $credentials, $process, $stopTimeout);
        while (true) {
            $mock->timeout = max(0.05, $deadline - microtime(true));
            try {
                $health = $mock->health();
                break;
            } catch (IdenfyMockException $e) {
                if (!$process->running()) {
                    throw $fail('it exited with status ' . $process->exitCode());
                }
                if (microtime(true) > $deadline) {
                    throw $fail('GET /_mock/health did not answer: ' . $e->getMessage());
                }
                usleep(2000); // polling its health, with a deadline
            }
        }
        $mock->timeout = 30.0;
        if (($health['exitWithParent'] ?? false) === true) {
            $process->killWatchdog(); // the binary stops with this process by itself
        }
        self::$live[spl_object_id($mock)] = \WeakReference::create($mock);
        if (!self::$hooked) {
            self::$hooked = true;
            register_shutdown_function([self::class, 'stopAll']);
        }
        return $mock;
    }

    /**
     * Stops the mock: SIGTERM, then SIGKILL after $grace seconds (default
     * stopTimeout). Returns its exit status (0: a clean stop), or null when
     * it had to be killed. Safe to call twice.
     */
    public function stop(?float $grace = null): ?int
    {
        unset(self::$live[spl_object_id($this)]);
        return $this->process->stop($grace ?? $this->stopTimeout);
    }

    /** Whether the mock process is still running. */
    public function isRunning(): bool
    {
        return $this->process->running();
    }

    /** What the mock has printed so far (its log). */
    public function output(): string
    {
        return $this->process->output();
    }

    /** Whether a watchdog process guards this mock (see MockProcess). */
    public function hasWatchdog(): bool
    {
        return $this->process->hasWatchdog();
    }

    public function __destruct()
    {
        $this->stop();
    }

    /** @internal the shutdown function: stops every mock still running */
    public static function stopAll(): void
    {
        foreach (self::$live as $ref) {
            $ref->get()?->stop();
        }
        self::$live = [];
    }

    /** The executable start() runs: $binary, else IDENFY_MOCK_BIN, else idenfy-mock on PATH. */
    public static function findBinary(?string $binary = null): string
    {
        $binary ??= (getenv('IDENFY_MOCK_BIN') ?: null);
        if ($binary !== null) {
            if (!is_file($binary) || !is_executable($binary)) {
                throw new IdenfyMockException(sprintf('idenfy-mock: %s is not an executable file', $binary));
            }
            return $binary;
        }
        $names = DIRECTORY_SEPARATOR === '\\' ? ['idenfy-mock.exe'] : ['idenfy-mock'];
        foreach (explode(PATH_SEPARATOR, (string) getenv('PATH')) as $dir) {
            foreach ($names as $name) {
                $candidate = rtrim($dir, '/\\') . DIRECTORY_SEPARATOR . $name;
                if ($dir !== '' && is_file($candidate) && is_executable($candidate)) {
                    return $candidate;
                }
            }
        }
        throw new IdenfyMockException('idenfy-mock: no binary: set IDENFY_MOCK_BIN or put idenfy-mock on PATH (or pass the binary option)');
    }
}
