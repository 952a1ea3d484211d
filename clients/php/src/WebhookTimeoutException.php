<?php

declare(strict_types=1);

namespace IdenfyMock;

/**
 * A wait for a webhook that ran out. The message names the scanRef and the
 * webhooks the journal held for it; $seen has them.
 */
final class WebhookTimeoutException extends IdenfyMockException
{
    /**
     * @param list<array<string, mixed>> $seen the scanRef's webhooks when the wait gave up
     */
    public function __construct(
        string $message,
        public readonly ?string $scanRef,
        public readonly array $seen,
        ?string $mockMessage,
    ) {
        parent::__construct($message, 408, $mockMessage);
    }
}
