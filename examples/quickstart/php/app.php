<?php
// idenfy-mock quickstart: create a dummy token, receive and verify its webhook.
// PHP standard library only (streams, hash_hmac). Exits 0 once a signed webhook
// has been verified.

declare(strict_types=1);

$baseUrl = rtrim(getenv('IDENFY_MOCK_URL') ?: 'http://127.0.0.1:8080', '/');
$apiKey = getenv('IDENFY_API_KEY') ?: 'idenfy-mock-key';
$apiSecret = getenv('IDENFY_API_SECRET') ?: 'idenfy-mock-secret';
$signingKey = getenv('IDENFY_SIGNING_KEY') ?: 'idenfy-mock-signing-key';

function fail(string $message): never
{
    fwrite(STDERR, "FAIL: $message\n");
    exit(1);
}

function signatureOk(string $body, string $signature, string $key): bool
{
    return hash_equals(hash_hmac('sha256', $body, $key), $signature);
}

// The webhook listener: a loopback socket on a free port. Connections wait in
// its backlog until we accept them below, after creating the token.
$server = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
if ($server === false) {
    fail("cannot listen: $errstr");
}
$port = (int) substr(strrchr(stream_socket_get_name($server, false), ':'), 1);

$context = stream_context_create(['http' => [
    'method' => 'POST',
    'header' => "Content-Type: application/json\r\n"
        . 'Authorization: Basic ' . base64_encode("$apiKey:$apiSecret") . "\r\n",
    'content' => json_encode([
        'clientId' => 'quickstart-php',
        'dummyStatus' => 'APPROVED',
        'callbackUrl' => "http://127.0.0.1:$port/webhook",
    ]),
    'ignore_errors' => true,
    'timeout' => 10,
]]);
$answer = @file_get_contents("$baseUrl/api/v2/token", false, $context);
if ($answer === false) {
    fail("cannot reach $baseUrl");
}
preg_match('{^HTTP/\S+ (\d{3})}', $http_response_header[0] ?? '', $m);
$status = (int) ($m[1] ?? 0);
if ($status !== 201) {
    fail("POST /api/v2/token answered $status: $answer");
}

// Receive one webhook: read the request head, then exactly Content-Length bytes.
$deadline = microtime(true) + 20;
$conn = @stream_socket_accept($server, 20);
if ($conn === false) {
    fail('no webhook within 20 s');
}
stream_set_timeout($conn, max(1, (int) ceil($deadline - microtime(true))));
$headers = [];
$requestLine = fgets($conn);
while (($line = fgets($conn)) !== false && rtrim($line, "\r\n") !== '') {
    [$name, $value] = array_pad(explode(':', $line, 2), 2, '');
    $headers[strtolower(trim($name))] = trim($value);
}
$length = min((int) ($headers['content-length'] ?? 0), 1 << 20);
$body = '';
while (strlen($body) < $length && !feof($conn)) {
    $chunk = fread($conn, $length - strlen($body));
    if ($chunk === false || $chunk === '') {
        break;
    }
    $body .= $chunk;
}
$event = $headers['idenfy-event-type'] ?? '?';
$ok = strlen($body) === $length && signatureOk($body, $headers['idenfy-signature'] ?? '', $signingKey);
fwrite($conn, $ok ? "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    : "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
fclose($conn);
if (!$ok) {
    fail("$event webhook with a bad Idenfy-Signature");
}
$result = json_decode($body, true);
echo "$event scanRef={$result['scanRef']} overall={$result['status']['overall']} signature valid\n";
exit(0);
