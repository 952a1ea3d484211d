<?php

declare(strict_types=1);

namespace IdenfyMock;

/**
 * A failed call to idenfy-mock, or a start that failed. The message always
 * carries the mock's own error message when it answered one.
 */
class IdenfyMockException extends \RuntimeException
{
    /**
     * @param ?int    $status      the HTTP status; null when the mock was not reached
     * @param ?string $mockMessage the mock's own message ("message" of its error body)
     * @param ?string $body        the whole answer
     */
    public function __construct(
        string $message,
        public readonly ?int $status = null,
        public readonly ?string $mockMessage = null,
        public readonly ?string $body = null,
        ?\Throwable $previous = null,
    ) {
        parent::__construct($message, $status ?? 0, $previous);
    }
}
