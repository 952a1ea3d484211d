<?php

declare(strict_types=1);

namespace IdenfyMock;

/**
 * A client of a running idenfy-mock: its control API under /_mock/ and the
 * two iDenfy calls a test needs (token, add-dummy-status). IdenfyMock::start()
 * gives one with a process behind it; `new Client($url)` drives a mock that
 * runs elsewhere (a container, a CI service). Records come back as the arrays
 * of the control API's JSON (GET /_mock/openapi/control.json); every failed
 * call throws an IdenfyMockException carrying the mock's own message.
 */
class Client
{
    public const DEFAULT_API_KEY = 'idenfy-mock-key';
    public const DEFAULT_API_SECRET = 'idenfy-mock-secret';
    public const DEFAULT_SIGNING_KEY = 'idenfy-mock-signing-key';

    public const EVENT_AUTO_FINISHED = 'IDENTIFICATION_AUTO_FINISHED';
    public const EVENT_MANUAL_FINISHED = 'IDENTIFICATION_MANUAL_FINISHED';
    public const EVENT_EXPIRED = 'IDENTIFICATION_EXPIRED';
    public const EVENT_CANCELLED = 'IDENTIFICATION_CANCELLED';

    /** @var \CurlHandle|null */
    private $curl = null;

    /**
     * @param string  $url        base URL of the iDenfy API and the control API, e.g. http://127.0.0.1:8080
     * @param ?string $adminToken sent as a Bearer token (control.admin_token)
     * @param float   $timeout    seconds per call; a wait gets its own on top
     */
    public function __construct(
        string $url,
        string $apiKey = self::DEFAULT_API_KEY,
        string $apiSecret = self::DEFAULT_API_SECRET,
        ?string $signingKey = self::DEFAULT_SIGNING_KEY,
        ?string $adminToken = null,
        float $timeout = 30.0,
    ) {
        $this->url = rtrim($url, '/');
        $this->apiKey = $apiKey;
        $this->apiSecret = $apiSecret;
        $this->signingKey = $signingKey;
        $this->adminToken = $adminToken;
        $this->timeout = $timeout;
    }

    /** The base URL: use it where your app has https://ivs.idenfy.com. */
    public readonly string $url;
    /** The default partner's API key (HTTP Basic username). */
    public readonly string $apiKey;
    /** The default partner's API secret (HTTP Basic password). */
    public readonly string $apiSecret;
    /** The key of the Idenfy-Signature HMAC; null: webhooks go unsigned. */
    public readonly ?string $signingKey;
    public readonly ?string $adminToken;
    public float $timeout;

    /** GET /_mock/health. */
    public function health(): array
    {
        return $this->json('GET', '/_mock/health');
    }

    /** What the mock can produce: dummy statuses, page outcomes, tags, fault actions. */
    public function scenarios(): array
    {
        return $this->json('GET', '/_mock/scenarios');
    }

    /**
     * POST /api/v2/token as the default partner; clientId defaults to
     * "test-client". Add 'dummyStatus' => 'APPROVED' for a dummy result.
     */
    public function createToken(array $request = []): array
    {
        return $this->json('POST', '/api/v2/token', body: $request + ['clientId' => 'test-client'], basic: true);
    }

    /**
     * The manual result of a verification (POST /api/v2/add-dummy-status),
     * as iDenfy's DEV environment allows; approves by default.
     */
    public function addDummyStatus(string $scanRef, string $face = 'FACE_MATCH', string $document = 'DOC_VALIDATED'): void
    {
        $this->json('POST', '/api/v2/add-dummy-status', body: [
            'scanRef' => $scanRef,
            'manualFaceMatchResult' => $face,
            'manualDocumentValidity' => $document,
        ], basic: true);
    }

    /** One verification's full state with its webhooks. */
    public function verification(string $scanRef): array
    {
        return $this->json('GET', '/_mock/verifications/' . rawurlencode($scanRef));
    }

    /**
     * Verifications, oldest first (every page).
     *
     * @param array{partner?: string, clientId?: string, status?: string} $filter
     */
    public function verifications(array $filter = []): array
    {
        return $this->pages('/_mock/verifications', $filter);
    }

    /**
     * Finishes an ACTIVE verification as the verification page's buttons do;
     * its webhook follows (wait for it).
     *
     * @param string $outcome 'approve', 'deny', 'suspect' or 'unverified'
     * @param array{face?: string, document?: string, tag?: string} $details deny's results, suspect's tag
     */
    public function finish(string $scanRef, string $outcome, array $details = []): array
    {
        return $this->json('POST', '/_mock/verifications/' . rawurlencode($scanRef) . '/finish', body: ['outcome' => $outcome] + $details);
    }

    /**
     * The webhook journal, oldest first (every page).
     *
     * @param ?string $state pending, delivered, failed, undeliverable, dropped, not_subscribed or any
     * @return list<array<string, mixed>>
     */
    public function webhooks(?string $scanRef = null, ?string $event = null, ?string $state = null): array
    {
        return $this->pages('/_mock/webhooks', array_filter(
            ['scanRef' => $scanRef, 'event' => $event, 'state' => $state],
            static fn ($v) => $v !== null,
        ));
    }

    /** One journal entry: exact body, headers, every attempt. */
    public function webhook(int $id): array
    {
        return $this->json('GET', '/_mock/webhooks/' . $id);
    }

    /** Sends a journaled webhook again; returns the new entry's id. */
    public function replayWebhook(int $id): int
    {
        return (int) $this->json('POST', '/_mock/webhooks/' . $id . '/replay')['id'];
    }

    /**
     * Waits until a webhook of $scanRef has settled (delivered, failed,
     * undeliverable, dropped or not subscribed) and returns its journal
     * record: 'body' is the exact text sent, 'headers' the [name, value]
     * pairs sent. A long-poll: it returns as soon as the webhook exists.
     *
     * @param ?string $event only this event, e.g. IDENTIFICATION_MANUAL_FINISHED
     * @param ?string $state only this state ('delivered'; 'any' includes pending)
     * @throws WebhookTimeoutException naming the scanRef and what was seen
     */
    public function waitForWebhook(string $scanRef, float $timeout = 10.0, ?string $event = null, ?string $state = null): array
    {
        $deadline = microtime(true) + $timeout;
        $query = array_filter(['scanRef' => $scanRef, 'event' => $event, 'state' => $state], static fn ($v) => $v !== null && $v !== '');
        while (true) {
            $leftMs = (int) ceil(($deadline - microtime(true)) * 1000);
            $leftMs = max(0, min(60000, $leftMs));
            try {
                return $this->json('GET', '/_mock/webhooks/wait', $query + ['timeoutMs' => $leftMs], extraTimeout: $leftMs / 1000);
            } catch (IdenfyMockException $e) {
                if ($e->status !== 408) {
                    throw $e;
                }
                if (microtime(true) < $deadline) {
                    continue;
                }
                throw $this->timedOut($scanRef, $event, $state, $timeout, $e->mockMessage);
            }
        }
    }

    private function timedOut(string $scanRef, ?string $event, ?string $state, float $timeout, ?string $mockMessage): WebhookTimeoutException
    {
        $what = [];
        if ($event !== null) {
            $what[] = 'event ' . $event;
        }
        $what[] = $state !== null ? 'state ' . $state : 'settled';
        $message = sprintf('idenfy-mock: no webhook for scanRef "%s" (%s) within %ss', $scanRef, implode(', ', $what), rtrim(rtrim(sprintf('%.3f', $timeout), '0'), '.'));
        if ($mockMessage !== null) {
            $message .= sprintf(' (the mock: "%s")', $mockMessage);
        }
        $seen = [];
        try {
            $seen = $this->webhooks($scanRef !== '' ? $scanRef : null, $scanRef === '' ? $event : null, 'any');
            $message .= $seen === []
                ? '; seen for this scanRef: none'
                : '; seen: ' . implode(', ', array_map([self::class, 'describe'], array_slice($seen, 0, 10)))
                    . (count($seen) > 10 ? sprintf(', … and %d more', count($seen) - 10) : '');
        } catch (IdenfyMockException $e) {
            $message .= '; could not list what was seen: ' . $e->getMessage();
        }
        return new WebhookTimeoutException($message, $scanRef, $seen, $mockMessage);
    }

    private static function describe(array $w): string
    {
        $s = sprintf('#%d %s %s', $w['id'], $w['event'], $w['state']);
        $attempts = $w['attempts'] ?? [];
        if ($attempts !== []) {
            $last = $attempts[count($attempts) - 1];
            $s .= sprintf(' (%d attempt(s)', count($attempts));
            if (($last['error'] ?? null) !== null) {
                $s .= ', last: ' . $last['error'];
            } elseif (($last['status'] ?? null) !== null) {
                $s .= ', last: HTTP ' . $last['status'];
            }
            $s .= ')';
        }
        return $s;
    }

    /** The mock's time: ['now' => unix seconds, 'nowMs' => …, 'offsetMs' => mock minus real]. */
    public function clock(): array
    {
        return $this->json('GET', '/_mock/clock');
    }

    /** Moves the mock's time (negative: back); due expiries happen at once. */
    public function advanceClock(int $seconds): array
    {
        return $this->json('POST', '/_mock/clock/advance', body: ['seconds' => $seconds]);
    }

    /** Sets the mock's time (Unix seconds or a date). */
    public function setClock(int|\DateTimeInterface $now): array
    {
        $now = $now instanceof \DateTimeInterface ? $now->getTimestamp() : $now;
        return $this->json('POST', '/_mock/clock/set', body: ['now' => $now]);
    }

    /**
     * Injects a fault and returns it with its id, e.g.
     * ['target' => 'api', 'path' => '/api/v2/token', 'action' => ['type' => 'status', 'status' => 503]]
     * or ['target' => 'webhook', 'times' => 0, 'action' => 'bad_signature'] (0: until cleared).
     * An action without fields may be given as its type alone.
     */
    public function injectFault(array $spec): array
    {
        if (is_string($spec['action'] ?? null)) {
            $spec['action'] = ['type' => $spec['action']];
        }
        return $this->json('POST', '/_mock/faults', body: $spec);
    }

    /** Registered faults with 'fired' and 'remaining'. */
    public function faults(): array
    {
        return $this->json('GET', '/_mock/faults');
    }

    /** Removes every fault, or the one with $id. */
    public function clearFaults(?int $id = null): void
    {
        $this->json('DELETE', $id === null ? '/_mock/faults' : '/_mock/faults/' . $id);
    }

    /**
     * Back to a known state: everything (verifications, webhooks, faults,
     * inboxes, clock, credits), or only $partner's (an API key) data.
     */
    public function reset(?string $partner = null): array
    {
        return $this->json('POST', '/_mock/reset', body: $partner === null ? new \stdClass() : ['partner' => $partner]);
    }

    /** The URL of the mock's built-in webhook receiver $name (a callbackUrl that needs no server). */
    public function inboxUrl(string $name): string
    {
        return $this->url . '/_mock/inbox/' . rawurlencode($name);
    }

    /** What the built-in receiver $name got, signatures checked. */
    public function inbox(string $name): array
    {
        return $this->json('GET', '/_mock/inbox/' . rawurlencode($name));
    }

    /** Whether a webhook record's Idenfy-Signature signs its body with $key (default: signingKey). */
    public function verifySignature(array $webhook, ?string $key = null): bool
    {
        $key ??= $this->signingKey;
        if ($key === null) {
            return false;
        }
        return Signature::verify($key, (string) ($webhook['body'] ?? ''), self::header($webhook, 'Idenfy-Signature'));
    }

    /** A header's value (any case) in a webhook record, or null. */
    public static function header(array $webhook, string $name): ?string
    {
        foreach ($webhook['headers'] ?? [] as [$n, $v]) {
            if (strcasecmp($n, $name) === 0) {
                return $v;
            }
        }
        return null;
    }

    private function pages(string $path, array $query): array
    {
        $all = [];
        while (true) {
            $page = $this->json('GET', $path, $query + ['offset' => count($all), 'limit' => 1000]);
            array_push($all, ...$page['items']);
            if ($page['items'] === [] || count($all) >= $page['total']) {
                return $all;
            }
        }
    }

    /**
     * One call; the decoded JSON answer ([] when empty).
     *
     * @throws IdenfyMockException
     */
    protected function json(string $method, string $path, array $query = [], mixed $body = null, bool $basic = false, float $extraTimeout = 0.0): array
    {
        $url = $this->url . $path . ($query === [] ? '' : '?' . http_build_query($query, '', '&', PHP_QUERY_RFC3986));
        if ($this->curl === null) {
            $this->curl = curl_init();
        } else {
            curl_reset($this->curl);
        }
        $headers = ['Accept: application/json'];
        $options = [
            CURLOPT_URL => $url,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_PROXY => '',
            CURLOPT_NOPROXY => '*',
            CURLOPT_TIMEOUT_MS => (int) ceil(($this->timeout + $extraTimeout) * 1000),
            CURLOPT_CONNECTTIMEOUT_MS => (int) ceil(min($this->timeout, 10.0) * 1000),
        ];
        if ($body !== null) {
            $headers[] = 'Content-Type: application/json';
            $options[CURLOPT_POSTFIELDS] = json_encode($body, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
        } elseif ($method !== 'GET') {
            $headers[] = 'X-Idenfy-Mock: 1';
            if ($method === 'POST') {
                $headers[] = 'Content-Type:'; // no body, so no form type either
                $options[CURLOPT_POSTFIELDS] = '';
            }
        }
        if ($basic) {
            $options[CURLOPT_USERPWD] = $this->apiKey . ':' . $this->apiSecret;
        } elseif ($this->adminToken !== null && $this->adminToken !== '') {
            $headers[] = 'Authorization: Bearer ' . $this->adminToken;
        }
        $options[CURLOPT_HTTPHEADER] = $headers;
        curl_setopt_array($this->curl, $options);
        $raw = curl_exec($this->curl);
        if ($raw === false) {
            throw new IdenfyMockException(sprintf('idenfy-mock: %s %s: %s', $method, $path, curl_error($this->curl)));
        }
        $status = (int) curl_getinfo($this->curl, CURLINFO_RESPONSE_CODE);
        $decoded = null;
        if ($raw !== '') {
            try {
                $decoded = json_decode($raw, true, 512, JSON_THROW_ON_ERROR);
            } catch (\JsonException $e) {
                if ($status >= 200 && $status < 300) {
                    throw new IdenfyMockException(sprintf('idenfy-mock: %s %s: %d: not JSON: %s', $method, $path, $status, substr($raw, 0, 200)), $status, null, $raw, $e);
                }
            }
        }
        if ($status < 200 || $status > 299) {
            $mockMessage = is_array($decoded) && is_string($decoded['message'] ?? null) ? $decoded['message'] : null;
            $text = $mockMessage ?? (trim(substr($raw, 0, 500)) ?: 'HTTP ' . $status);
            throw new IdenfyMockException(sprintf('idenfy-mock: %s %s: %d: %s', $method, $path, $status, $text), $status, $mockMessage, $raw);
        }
        return is_array($decoded) ? $decoded : [];
    }
}
