<?php
// Drop-in recipe, PHP curl extension: an app that hard-codes
// https://ivs.idenfy.com, run unmodified against idenfy-mock. PHP's curl takes
// the mock's CA through the curl.cainfo ini setting (php.ini, or -d on the
// command line; Guzzle's default curl handler uses it too). Credentials from
// the environment.
//   php -d curl.cainfo=/path/to/ca.pem php-curl.php   (with IDENFY_API_KEY, IDENFY_API_SECRET, IDENFY_SIGNING_KEY)

declare(strict_types=1);

const BASE_URL = 'https://ivs.idenfy.com';

function fail(string $message): never
{
    fwrite(STDERR, "FAIL: php: $message\n");
    exit(1);
}

/** [status, final URL, content type, body]; follows redirects when asked. */
function request(string $url, ?array $payload = null, bool $follow = false): array
{
    $curl = curl_init($url);
    curl_setopt_array($curl, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 15,
        CURLOPT_FOLLOWLOCATION => $follow, CURLOPT_MAXREDIRS => 3]);
    if ($payload !== null) {
        curl_setopt_array($curl, [CURLOPT_POSTFIELDS => json_encode($payload),
            CURLOPT_HTTPHEADER => ['Content-Type: application/json'],
            CURLOPT_USERPWD => getenv('IDENFY_API_KEY') . ':' . getenv('IDENFY_API_SECRET')]);
    }
    $body = curl_exec($curl);
    if ($body === false) {
        fail("cannot reach $url: " . curl_error($curl)); // e.g. a CA that is not trusted
    }
    return [curl_getinfo($curl, CURLINFO_RESPONSE_CODE), curl_getinfo($curl, CURLINFO_EFFECTIVE_URL),
        (string) curl_getinfo($curl, CURLINFO_CONTENT_TYPE), $body];
}

// 1. A dummy verification, as with iDenfy's DEV environment.
[$status, , , $body] = request(BASE_URL . '/api/v2/token', ['clientId' => 'dropin-php', 'dummyStatus' => 'APPROVED']);
if ($status !== 201) {
    fail("POST /api/v2/token answered $status: $body");
}
$token = json_decode($body, true);
if ($token['redirectUrl'] !== BASE_URL . '/api/v2/redirect?authToken=' . $token['authToken']) {
    fail("redirectUrl is {$token['redirectUrl']}");
}

// 2. redirectUrl leads to the verification page. A dummy token's verification
//    is already finished: 410 says so; without dummyStatus, 200.
[$pageStatus, $pageUrl, $pageType] = request($token['redirectUrl'], null, true);
if (!in_array($pageStatus, [200, 410], true) || !str_starts_with($pageType, 'text/html')) {
    fail("the page answered $pageStatus $pageType ($pageUrl)");
}
if (!preg_match('{^https://(ivs|ui)\.idenfy\.com/}', $pageUrl)) {
    fail("the redirect left iDenfy's hosts: $pageUrl");
}

// 3. The result webhook, from the mock's journal: its exact body text and headers.
[$status, , , $body] = request(BASE_URL . "/_mock/webhooks/wait?scanRef={$token['scanRef']}&timeoutMs=10000");
if ($status !== 200) {
    fail("no webhook for {$token['scanRef']}: $status");
}
$record = json_decode($body, true);
$raw = $record['body']; // the bytes that were signed: verify these, not re-encoded JSON
$signature = '';
foreach ($record['headers'] as [$name, $value]) {
    if (strtolower($name) === 'idenfy-signature') {
        $signature = $value;
    }
}
if (!hash_equals(hash_hmac('sha256', $raw, getenv('IDENFY_SIGNING_KEY')), $signature)) {
    fail("{$record['event']} webhook with a bad Idenfy-Signature");
}
echo "ok: php: token 201, redirectUrl in iDenfy's form, page $pageStatus text/html, {$record['event']} signature valid\n";
