<?php

declare(strict_types=1);

namespace IdenfyMock\Tests;

use IdenfyMock\Client;
use IdenfyMock\IdenfyMock;
use IdenfyMock\IdenfyMockException;
use IdenfyMock\Signature;
use IdenfyMock\WebhookTimeoutException;
use PHPUnit\Framework\TestCase;

/**
 * The helper as a user drives it. Tokens are created with curl, as an
 * application would.
 */
final class IdenfyMockTest extends TestCase
{
    private IdenfyMock $mock;

    protected function setUp(): void
    {
        $this->mock = IdenfyMock::start();
    }

    protected function tearDown(): void
    {
        $this->assertSame(0, $this->mock->stop(), "a clean stop:\n" . $this->mock->output());
    }

    /** POST /api/v2/token with curl; [status, decoded body]. */
    private function token(array $body): array
    {
        $ch = curl_init($this->mock->url . '/api/v2/token');
        curl_setopt_array($ch, [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => json_encode($body),
            CURLOPT_HTTPHEADER => ['Content-Type: application/json'],
            CURLOPT_USERPWD => $this->mock->apiKey . ':' . $this->mock->apiSecret,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_TIMEOUT => 10,
        ]);
        $raw = curl_exec($ch);
        $this->assertIsString($raw, curl_error($ch));
        $status = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        curl_close($ch);
        return [$status, json_decode($raw, true)];
    }

    private function scanRef(array $body): string
    {
        [$status, $answer] = $this->token($body);
        $this->assertContains($status, [200, 201], json_encode($answer));
        $this->assertIsString($answer['scanRef'] ?? null);
        return $answer['scanRef'];
    }

    private static function overall(array $webhook): string
    {
        return json_decode($webhook['body'], true)['status']['overall'];
    }

    public function testStartGivesTheUrlAndCredentials(): void
    {
        $this->assertMatchesRegularExpression('#^http://127\.0\.0\.1:\d+$#', $this->mock->url);
        $this->assertSame(Client::DEFAULT_API_KEY, $this->mock->apiKey);
        $this->assertSame(Client::DEFAULT_API_SECRET, $this->mock->apiSecret);
        $this->assertSame(Client::DEFAULT_SIGNING_KEY, $this->mock->signingKey);
        $this->assertSame('ok', $this->mock->health()['status']);
        $this->assertTrue($this->mock->isRunning());
        $this->assertGreaterThan(0, $this->mock->pid);
    }

    public function testADummyTokensWebhookIsSignedAndExact(): void
    {
        // A receiver of our own: a socket this test accepts on.
        $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        $this->assertIsResource($server, $errstr);
        $callback = 'http://' . stream_socket_get_name($server, false) . '/idenfy/webhook';
        $scanRef = $this->scanRef(['clientId' => 'user-1', 'dummyStatus' => 'APPROVED', 'callbackUrl' => $callback]);

        [$headers, $body] = self::receive($server, 10.0);
        fclose($server);
        $this->assertTrue(Signature::verify($this->mock->signingKey, $body, $headers['idenfy-signature'] ?? null), 'received signature');
        $this->assertSame(Signature::sign($this->mock->signingKey, $body), $headers['idenfy-signature']);

        $webhook = $this->mock->waitForWebhook($scanRef, 10.0);
        $this->assertSame($scanRef, $webhook['scanRef']);
        $this->assertSame('IDENTIFICATION_AUTO_FINISHED', $webhook['event']);
        $this->assertSame('delivered', $webhook['state']);
        $this->assertTrue($webhook['final']);
        $this->assertSame($body, $webhook['body'], 'the journal keeps the exact bytes sent');
        $this->assertSame('APPROVED', self::overall($webhook));
        $this->assertTrue($this->mock->verifySignature($webhook));
        $this->assertFalse($this->mock->verifySignature($webhook, 'another-key'));
        $this->assertSame('IDENTIFICATION_AUTO_FINISHED', Client::header($webhook, 'idenfy-event-type'));

        $list = $this->mock->webhooks($scanRef);
        $this->assertCount(1, $list);
        $this->assertSame($webhook['body'], $this->mock->webhook($webhook['id'])['body']);
    }

    /**
     * Accepts one HTTP request on $server, answers 200; [lower-case headers, body].
     *
     * @param resource $server
     */
    private static function receive($server, float $timeout): array
    {
        $conn = @stream_socket_accept($server, $timeout);
        if ($conn === false) {
            self::fail('no webhook arrived within ' . $timeout . ' s');
        }
        stream_set_timeout($conn, (int) ceil($timeout));
        $headers = [];
        fgets($conn); // request line
        while (($line = fgets($conn)) !== false && rtrim($line) !== '') {
            [$name, $value] = explode(':', $line, 2);
            $headers[strtolower(trim($name))] = trim($value);
        }
        $length = (int) ($headers['content-length'] ?? 0);
        $body = '';
        while (strlen($body) < $length && !feof($conn)) {
            $chunk = fread($conn, $length - strlen($body));
            if ($chunk === false || $chunk === '') {
                break;
            }
            $body .= $chunk;
        }
        fwrite($conn, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        fclose($conn);
        return [$headers, $body];
    }

    public function testFinishWithEveryPageOutcome(): void
    {
        $expected = [
            'approve' => ['IDENTIFICATION_AUTO_FINISHED', 'APPROVED'],
            'deny' => ['IDENTIFICATION_AUTO_FINISHED', 'DENIED'],
            'suspect' => ['IDENTIFICATION_AUTO_FINISHED', 'SUSPECTED'],
            'unverified' => ['IDENTIFICATION_CANCELLED', 'EXPIRED'],
        ];
        $outcomes = $this->mock->scenarios()['pageOutcomes'];
        $this->assertNotEmpty($outcomes);
        foreach ($outcomes as $outcome) {
            $this->assertArrayHasKey($outcome, $expected, "outcome $outcome is new to this test");
            $scanRef = $this->scanRef(['clientId' => 'page-' . $outcome]);
            $finished = $this->mock->finish($scanRef, $outcome);
            if ($outcome === 'deny') {
                // The first of the session's two attempts failed: no webhook yet.
                $this->assertSame(['retry', 1], [$finished['result'], $finished['attemptsLeft']]);
                $finished = $this->mock->finish($scanRef, $outcome);
            }
            $this->assertSame($expected[$outcome][1], $finished['verification']['status']);
            $webhook = $this->mock->waitForWebhook($scanRef);
            $this->assertSame($expected[$outcome][0], $webhook['event'], $outcome);
            $this->assertSame($expected[$outcome][1], self::overall($webhook), $outcome);
            $this->assertTrue($this->mock->verifySignature($webhook));
        }
        $scanRef = $this->scanRef(['clientId' => 'deny-details']);
        $finished = $this->mock->finish($scanRef, 'deny', ['face' => 'FACE_MATCH', 'document' => 'DOC_EXPIRED', 'lastAttempt' => true]);
        $this->assertSame('DOC_EXPIRED', $finished['verification']['autoDocument']);
    }

    public function testAddDummyStatusSendsTheManualResult(): void
    {
        $scanRef = $this->scanRef(['clientId' => 'review', 'dummyStatus' => 'APPROVED', 'reviewSuccessful' => true]);
        $auto = $this->mock->waitForWebhook($scanRef);
        $this->assertSame('IDENTIFICATION_AUTO_FINISHED', $auto['event']);
        $this->assertFalse($auto['final']);
        $this->mock->addDummyStatus($scanRef, 'FACE_MATCH', 'DOC_VALIDATED');
        $manual = $this->mock->waitForWebhook($scanRef, 10.0, event: 'IDENTIFICATION_MANUAL_FINISHED');
        $this->assertTrue($manual['final']);
        $this->assertSame('APPROVED', self::overall($manual));
        $this->assertCount(2, $this->mock->verification($scanRef)['webhooks']);
        $listed = $this->mock->verifications(['clientId' => 'review']);
        $this->assertCount(1, $listed);
        $this->assertSame($scanRef, $listed[0]['scanRef']);

        try {
            $this->mock->addDummyStatus($scanRef, 'NOT_A_RESULT');
            $this->fail('a bad result was accepted');
        } catch (IdenfyMockException $e) {
            $this->assertSame(400, $e->status);
            $this->assertStringContainsString('manualFaceMatchResult', (string) $e->mockMessage);
            $this->assertStringContainsString((string) $e->mockMessage, $e->getMessage());
        }
    }

    public function testMovingTheClockExpiresATokenWithoutWaiting(): void
    {
        $before = $this->mock->clock();
        $scanRef = $this->scanRef(['clientId' => 'late', 'expiryTime' => 60]);
        $after = $this->mock->advanceClock(61);
        $this->assertGreaterThanOrEqual($before['now'] + 61, $after['now']);
        $this->assertGreaterThanOrEqual(61000, $after['offsetMs']);
        $webhook = $this->mock->waitForWebhook($scanRef);
        $this->assertSame('IDENTIFICATION_EXPIRED', $webhook['event']);
        $this->assertSame('EXPIRED', self::overall($webhook));
        $at = new \DateTimeImmutable('@' . ($after['now'] + 3600));
        $this->assertSame($at->getTimestamp(), $this->mock->setClock($at)['now']);
    }

    public function testFaults(): void
    {
        $fault = $this->mock->injectFault(['target' => 'api', 'path' => '/api/v2/token', 'action' => ['type' => 'status', 'status' => 503]]);
        $this->assertGreaterThan(0, $fault['id']);
        $this->assertSame(1, $fault['remaining']);
        [$status] = $this->token(['clientId' => 'faulty']);
        $this->assertSame(503, $status);
        $this->scanRef(['clientId' => 'fine-again']);
        $this->assertSame(1, $this->mock->faults()[0]['fired']);

        $this->mock->injectFault(['target' => 'webhook', 'times' => 0, 'action' => 'bad_signature']);
        $webhook = $this->mock->waitForWebhook($this->scanRef(['clientId' => 'bad-sig', 'dummyStatus' => 'DENIED']));
        $this->assertNotNull(Client::header($webhook, 'Idenfy-Signature'));
        $this->assertFalse($this->mock->verifySignature($webhook));
        $this->mock->clearFaults();
        $this->assertSame([], $this->mock->faults());
        $webhook = $this->mock->waitForWebhook($this->scanRef(['clientId' => 'good-sig', 'dummyStatus' => 'DENIED']));
        $this->assertTrue($this->mock->verifySignature($webhook));

        $fault = $this->mock->injectFault(['target' => 'api', 'action' => ['type' => 'delay', 'ms' => 10]]);
        $this->mock->clearFaults($fault['id']);
        try {
            $this->mock->clearFaults($fault['id']);
            $this->fail('a removed fault was removed again');
        } catch (IdenfyMockException $e) {
            $this->assertSame(404, $e->status);
            $this->assertStringContainsString('no fault with id', $e->getMessage());
        }
    }

    public function testReset(): void
    {
        $scanRef = $this->scanRef(['clientId' => 'gone-soon', 'dummyStatus' => 'APPROVED']);
        $this->mock->waitForWebhook($scanRef);
        $this->mock->advanceClock(3600);
        $this->assertSame(['scope' => $this->mock->apiKey, 'removedVerifications' => 1], $this->mock->reset($this->mock->apiKey));
        $this->scanRef(['clientId' => 'another']);
        $this->assertSame(['scope' => 'all', 'removedVerifications' => 1], $this->mock->reset());
        $this->assertSame([], $this->mock->webhooks());
        $this->assertSame(0, $this->mock->clock()['offsetMs']);
        try {
            $this->mock->reset('nobody');
            $this->fail('an unknown partner was reset');
        } catch (IdenfyMockException $e) {
            $this->assertSame(400, $e->status);
            $this->assertSame("no partner has API key 'nobody'", $e->mockMessage);
        }
    }

    public function testAWaitThatTimesOutNamesTheScanRef(): void
    {
        $scanRef = $this->scanRef(['clientId' => 'never-finishes']);
        $start = microtime(true);
        try {
            $this->mock->waitForWebhook($scanRef, 0.3);
            $this->fail('the wait returned');
        } catch (WebhookTimeoutException $e) {
            $took = microtime(true) - $start;
            $this->assertGreaterThanOrEqual(0.29, $took);
            $this->assertLessThan(5.0, $took);
            $this->assertSame($scanRef, $e->scanRef);
            $this->assertStringContainsString($scanRef, $e->getMessage());
            $this->assertStringContainsString('seen for this scanRef: none', $e->getMessage());
            $this->assertStringContainsString('no matching webhook within', $e->getMessage());
        }

        $scanRef = $this->scanRef(['clientId' => 'auto-only', 'dummyStatus' => 'APPROVED']);
        $auto = $this->mock->waitForWebhook($scanRef);
        try {
            $this->mock->waitForWebhook($scanRef, 0.2, event: 'IDENTIFICATION_MANUAL_FINISHED');
            $this->fail('the wait returned');
        } catch (WebhookTimeoutException $e) {
            $this->assertCount(1, $e->seen);
            $this->assertSame($auto['id'], $e->seen[0]['id']);
            $this->assertStringContainsString('IDENTIFICATION_MANUAL_FINISHED', $e->getMessage());
            $this->assertStringContainsString('IDENTIFICATION_AUTO_FINISHED undeliverable', $e->getMessage());
        }
    }

    public function testErrorsCarryTheMocksMessage(): void
    {
        try {
            $this->mock->finish('no-such-scan-ref', 'approve');
            $this->fail('finished an unknown verification');
        } catch (IdenfyMockException $e) {
            $this->assertSame(404, $e->status);
            $this->assertSame("no verification with scanRef 'no-such-scan-ref'", $e->mockMessage);
            $this->assertStringContainsString($e->mockMessage, $e->getMessage());
        }
        $scanRef = $this->scanRef(['clientId' => 'twice']);
        $this->mock->finish($scanRef, 'approve');
        try {
            $this->mock->finish($scanRef, 'deny');
            $this->fail('finished twice');
        } catch (IdenfyMockException $e) {
            $this->assertSame(409, $e->status);
            $this->assertStringContainsString('already has a result', $e->getMessage());
        }
    }

    public function testOwnCredentialsArePassedToTheBinary(): void
    {
        $own = IdenfyMock::start(['apiKey' => 'my-key', 'apiSecret' => 'my-secret', 'signingKey' => 'my-signing-key']);
        try {
            $this->assertSame('my-key', $own->apiKey);
            $webhook = $own->waitForWebhook($own->createToken(['dummyStatus' => 'APPROVED'])['scanRef']);
            $this->assertSame('my-key', $webhook['partner']);
            $this->assertTrue(Signature::verify('my-signing-key', $webhook['body'], Client::header($webhook, 'Idenfy-Signature')));
            $this->assertFalse($own->verifySignature($webhook, Client::DEFAULT_SIGNING_KEY));
        } finally {
            $this->assertSame(0, $own->stop());
        }
    }

    public function testInboxAndReplay(): void
    {
        $scanRef = $this->mock->createToken(['dummyStatus' => 'APPROVED', 'callbackUrl' => $this->mock->inboxUrl('ci')])['scanRef'];
        $webhook = $this->mock->waitForWebhook($scanRef, 10.0, state: 'delivered');
        $messages = $this->mock->inbox('ci')['messages'];
        $this->assertCount(1, $messages);
        $this->assertSame('valid', $messages[0]['signature']);
        $this->assertSame($webhook['body'], $messages[0]['body']);
        $this->assertGreaterThan($webhook['id'], $this->mock->replayWebhook($webhook['id']));
    }

    public function testStopEndsTheProcess(): void
    {
        $other = IdenfyMock::start();
        $url = $other->url;
        $this->assertSame(0, $other->stop());
        $this->assertFalse($other->isRunning());
        $this->assertSame(0, $other->stop(), 'a second stop');
        $this->expectException(IdenfyMockException::class);
        (new Client($url, timeout: 2.0))->health();
    }

    public function testAStartThatFailsSaysWhy(): void
    {
        try {
            IdenfyMock::start(['args' => ['--no-such-flag']]);
            $this->fail('started with a bad flag');
        } catch (IdenfyMockException $e) {
            $this->assertStringContainsString('exited with status 2', $e->getMessage());
            $this->assertStringContainsString('--no-such-flag', $e->getMessage());
        }
        try {
            IdenfyMock::start(['binary' => '/nonexistent/idenfy-mock']);
            $this->fail('started a missing binary');
        } catch (IdenfyMockException $e) {
            $this->assertStringContainsString('/nonexistent/idenfy-mock', $e->getMessage());
        }
        $this->expectException(\InvalidArgumentException::class);
        IdenfyMock::start(['apikey' => 'typo']);
    }

    public function testSignature(): void
    {
        $body = '{"final":true}';
        $signature = Signature::sign('k', $body);
        $this->assertMatchesRegularExpression('/^[0-9a-f]{64}$/', $signature);
        $this->assertTrue(Signature::verify('k', $body, $signature));
        $this->assertTrue(Signature::verify('k', $body, ' ' . strtoupper($signature) . "\n"));
        $this->assertFalse(Signature::verify('other', $body, $signature));
        $this->assertFalse(Signature::verify('k', '{"final": true}', $signature));
        $this->assertFalse(Signature::verify('k', $body, null));
        $this->assertFalse(Signature::verify('k', $body, ''));
        $this->assertFalse(Signature::verify('k', $body, substr($signature, 2)));
    }
}
