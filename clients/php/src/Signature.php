<?php

declare(strict_types=1);

namespace IdenfyMock;

/**
 * The Idenfy-Signature header: the lowercase hex HMAC-SHA256 of the exact
 * body bytes, keyed with the partner's signing key.
 */
final class Signature
{
    public static function sign(string $key, string $body): string
    {
        return hash_hmac('sha256', $body, $key);
    }

    /**
     * Whether $signature (the header's value) signs $body with $key; compared
     * in constant time. Use it in your webhook endpoint as you would for iDenfy:
     * Signature::verify($signingKey, file_get_contents('php://input'), $_SERVER['HTTP_IDENFY_SIGNATURE'] ?? null).
     */
    public static function verify(string $key, string $body, ?string $signature): bool
    {
        if ($signature === null) {
            return false;
        }
        $signature = strtolower(trim($signature));
        if (strlen($signature) !== 64 || !ctype_xdigit($signature)) {
            return false;
        }
        return hash_equals(self::sign($key, $body), $signature);
    }
}
