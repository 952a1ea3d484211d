// Types of idenfy-mock's test helpers (lib/index.js). The shapes follow the
// control API's OpenAPI document, GET /_mock/openapi/control.json.

export declare const DEFAULT_API_KEY: "idenfy-mock-key";
export declare const DEFAULT_API_SECRET: "idenfy-mock-secret";
export declare const DEFAULT_SIGNING_KEY: "idenfy-mock-signing-key";

export type EventType =
  | "IDENTIFICATION_AUTO_FINISHED"
  | "IDENTIFICATION_MANUAL_FINISHED"
  | "IDENTIFICATION_EXPIRED"
  | "IDENTIFICATION_CANCELLED"
  | "IDENTIFICATION_RESUBMITTED"
  | "IDENTIFICATION";

export type DeliveryState = "pending" | "delivered" | "failed" | "undeliverable" | "dropped" | "not_subscribed";

/** One delivery attempt of a webhook. */
export interface Attempt {
  /** Unix milliseconds (mock clock) when the attempt started. */
  atMs: number;
  /** The receiver's HTTP status, when it answered. */
  status: number | null;
  /** What went wrong, when it did. */
  error: string | null;
  latencyMs: number;
}

/** A journaled webhook. */
export interface WebhookRecord {
  id: number;
  scanRef: string;
  /** The partner's API key. */
  partner: string;
  event: EventType;
  final: boolean;
  target: string | null;
  /** Header name/value pairs, in the order sent. */
  headers: [string, string][];
  /** The exact body sent (JSON text): assert on it, verify its signature. */
  body: string;
  state: DeliveryState;
  attempts: Attempt[];
  /** Unix milliseconds (mock clock) when it was produced. */
  createdAtMs: number;
  /** The journal id this is a replay or fault-made copy of. */
  copyOf: number | null;
  subscription: number | null;
}

export interface ClockView {
  /** Unix seconds, as the mock sees them. */
  now: number;
  nowMs: number;
  /** Mock time minus real time. */
  offsetMs: number;
}

export type FaultAction =
  | { type: "status"; status: number }
  | { type: "delay"; ms: number }
  | { type: "drop" }
  | { type: "duplicate" }
  | { type: "reorder" }
  | { type: "bad_signature" }
  | { type: "no_signature" }
  | { type: "non_final_first" };

export interface FaultSpec {
  target: "api" | "webhook";
  /** An action object, or just its type when it has no fields (`"drop"`). */
  action: FaultAction | FaultAction["type"];
  /** API faults: the exact path (e.g. `/api/v2/token`); omitted = every path. */
  path?: string;
  /** Webhook faults: the event; omitted = every event. */
  event?: EventType;
  /** The partner's API key; omitted = every partner. */
  partner?: string;
  /** How many matches it fires for (default 1); 0 = until cleared. */
  times?: number;
}

export interface Fault {
  id: number;
  target: "api" | "webhook";
  path: string | null;
  event: EventType | null;
  partner: string | null;
  times: number;
  action: FaultAction;
  /** Matches left; null = unlimited. */
  remaining: number | null;
  fired: number;
}

export interface Health {
  status: string;
  version: string;
  uptimeSecs: number;
  verifications: number;
  webhooksPending: number;
  /** True from a binary that stops by itself when the process that started it dies (IDENFY_MOCK_EXIT_WITH_PARENT). */
  exitWithParent?: boolean;
}

export interface ResetDone {
  /** `all` or the partner's API key. */
  scope: string;
  removedVerifications: number;
}

export type Outcome = "approve" | "deny" | "suspect" | "unverified";

export interface WebhookFilter {
  scanRef?: string;
  event?: EventType;
  state?: DeliveryState | "any";
}

export interface WaitOptions {
  event?: EventType;
  /** Default: any settled state; `"delivered"` waits for delivery, `"any"` includes pending. */
  state?: DeliveryState | "any";
  /** Default 10000. */
  timeoutMs?: number;
}

export interface ClientOptions {
  /** e.g. `http://127.0.0.1:8080`. */
  url: string;
  apiKey?: string;
  apiSecret?: string;
  /** null: the partner signs nothing. */
  signingKey?: string | null;
  /** Sent as a Bearer token when the control API requires one. */
  adminToken?: string | null;
  /** Per request, default 30000. */
  timeoutMs?: number;
}

/** Any JSON object the mock answers with that has no type here. */
export type Json = { [key: string]: any };

/** A client of a running idenfy-mock; every failed call rejects with an IdenfyMockError. */
export declare class IdenfyMockClient {
  constructor(options: ClientOptions);
  /** The base URL: the iDenfy API and the control API (`/_mock/`). */
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly signingKey: string | null;
  readonly adminToken: string | null;
  timeoutMs: number;

  health(): Promise<Health>;
  scenarios(): Promise<Json>;
  /** `POST /api/v2/token` as this partner (`clientId` defaults to "test-client"). */
  createToken(body?: Json): Promise<Json & { scanRef: string; authToken: string; redirectUrl: string }>;
  /** `POST /api/v2/add-dummy-status` (defaults FACE_MATCH, DOC_VALIDATED: approves). */
  addDummyStatus(scanRef: string, results?: { face?: string; document?: string }): Promise<void>;
  verification(scanRef: string): Promise<Json & { scanRef: string; status: string; webhooks: WebhookRecord[] }>;
  verifications(filter?: { clientId?: string; status?: string; partner?: string }): Promise<Json[]>;
  /** What the verification page's buttons do; the webhook follows. */
  finish(
    scanRef: string,
    outcome: Outcome,
    details?: { face?: string; document?: string; tag?: string; lastAttempt?: boolean },
  ): Promise<Json & { result: string; redirectUrl?: string; attemptsLeft?: number; verification: Json }>;
  webhooks(filter?: WebhookFilter): Promise<WebhookRecord[]>;
  webhook(id: number): Promise<WebhookRecord>;
  /** Answers the new entry's id. */
  replayWebhook(id: number): Promise<number>;
  /** Long-polls for a webhook of `scanRef`; rejects with WebhookTimeoutError naming it and what was seen. */
  waitForWebhook(scanRef: string, options?: WaitOptions): Promise<WebhookRecord>;
  clock(): Promise<ClockView>;
  advanceClock(seconds: number): Promise<ClockView>;
  setClock(now: number | Date): Promise<ClockView>;
  injectFault(spec: FaultSpec): Promise<Fault>;
  faults(): Promise<Fault[]>;
  /** All faults, or the one with `id`. */
  clearFaults(id?: number): Promise<void>;
  /** Everything, or only `partner`'s (an API key) data. */
  reset(options?: { partner?: string }): Promise<ResetDone>;
  /** The URL of the mock's built-in webhook receiver `name`. */
  inboxUrl(name: string): string;
  inbox(name: string): Promise<Json & { name: string; messages: Json[] }>;
  /** Whether the record's Idenfy-Signature signs its body with `key` (default: signingKey). */
  verifySignature(record: Pick<WebhookRecord, "body" | "headers">, key?: string): boolean;
}

export interface StartOptions {
  /** The binary; default: this package's, else IDENFY_MOCK_BIN, else PATH. */
  binary?: string;
  /** The default partner's credentials (passed to the mock). */
  apiKey?: string;
  apiSecret?: string;
  /** null: webhooks go unsigned. */
  signingKey?: string | null;
  /** Makes the control API require it (sent by this client). */
  adminToken?: string;
  /** --webhook-url: where webhooks go when a token sends no callbackUrl. */
  webhookUrl?: string;
  /** --config: a TOML file with the keys to change. */
  config?: string;
  seed?: number;
  /** Passes --drop-in: needs an idenfy-mock with drop-in mode (TLS). */
  dropIn?: boolean;
  /** More flags. */
  args?: string[];
  /** More environment. */
  env?: Record<string, string>;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default 10000. */
  startTimeoutMs?: number;
  /** SIGTERM, then SIGKILL after this; default 10000. */
  stopTimeoutMs?: number;
  /** Called with each line the mock prints. */
  onOutput?: (line: string) => void;
  /** How many output lines `output` keeps; default 500. */
  keepLines?: number;
}

/** A running idenfy-mock process and a client of it. */
export declare class IdenfyMock extends IdenfyMockClient {
  /** The binary that runs. */
  readonly binary: string | null;
  /** The process id while it runs. */
  readonly pid: number | null;
  /** The last output lines. */
  readonly output: string[];
  stopTimeoutMs: number;
  /** SIGTERM, then SIGKILL after the grace; resolves to the exit code or signal. */
  stop(options?: { timeoutMs?: number }): Promise<number | string | null>;
}

export declare class IdenfyMockError extends Error {
  constructor(summary: string, details?: { status?: number | null; message?: string | null; body?: string | null });
  /** The HTTP status; null when the mock was not reached. */
  readonly status: number | null;
  /** The mock's own error message. */
  readonly mockMessage: string | null;
  readonly body: string | null;
}

export declare class WebhookTimeoutError extends IdenfyMockError {
  readonly scanRef: string;
  /** The scanRef's webhooks when the wait gave up. */
  readonly seen: WebhookRecord[];
}

export declare class StartError extends IdenfyMockError {}

/** Starts idenfy-mock on a free loopback port; resolves once /_mock/health answers. */
export declare function startIdenfyMock(options?: StartOptions): Promise<IdenfyMock>;
/** A client of an idenfy-mock that runs elsewhere (a container, a CI service). */
export declare function connectIdenfyMock(options: ClientOptions): IdenfyMockClient;
/** The binary startIdenfyMock runs. */
export declare function findBinary(binary?: string): string;
/** A header's value (any case) in a webhook record. */
export declare function header(record: Pick<WebhookRecord, "headers">, name: string): string | undefined;
/** Lowercase hex HMAC-SHA256 of `body` keyed with `key`: an Idenfy-Signature. */
export declare function sign(body: string | Uint8Array, key: string): string;
export declare function verifySignature(
  body: string | Uint8Array,
  signature: string | null | undefined,
  key: string,
): boolean;
