// Test helpers for idenfy-mock: startIdenfyMock() runs the mock on a free
// loopback port and answers a thin client of its control API (/_mock/...).
// Node built-ins only; the types are in index.d.ts.
"use strict";

const { spawn } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const http = require("node:http");
const https = require("node:https");
const path = require("node:path");
const { exe, packagedBinary } = require("./binary.js");

const DEFAULT_API_KEY = "idenfy-mock-key";
const DEFAULT_API_SECRET = "idenfy-mock-secret";
const DEFAULT_SIGNING_KEY = "idenfy-mock-signing-key";
// The server answers a long-poll after at most this long; longer waits loop.
const MAX_POLL_MS = 60000;
// The log line "listening on ADDR" (RUST_LOG info), else the banner's
// "API base URL  http://ADDR", which shows whatever the log level.
const LISTENING = /listening on (\S+)|^\s*API base URL\s+https?:\/\/([^\s/]+)/;

class IdenfyMockError extends Error {
  /**
   * @param {string} summary
   * @param {{status?: number|null, message?: string|null, body?: string|null}} [details]
   */
  constructor(summary, details = {}) {
    super(summary);
    this.name = "IdenfyMockError";
    /** The HTTP status, or null when the mock could not be reached. */
    this.status = details.status ?? null;
    /** The mock's own message (its error body's `message`). */
    this.mockMessage = details.message ?? null;
    /** The raw answer. */
    this.body = details.body ?? null;
  }
}

class WebhookTimeoutError extends IdenfyMockError {
  constructor(summary, details) {
    super(summary, details);
    this.name = "WebhookTimeoutError";
    this.scanRef = details.scanRef;
    this.seen = details.seen;
  }
}

class StartError extends IdenfyMockError {
  constructor(summary) {
    super(summary);
    this.name = "StartError";
  }
}

/** The value of header `name` (any case) in a webhook record, or undefined. */
function header(record, name) {
  const wanted = name.toLowerCase();
  for (const pair of record.headers || []) {
    if (pair.length === 2 && pair[0].toLowerCase() === wanted) return pair[1];
  }
  return undefined;
}

/** The `Idenfy-Signature` of `body`: lowercase hex HMAC-SHA256 keyed with `key`. */
function sign(body, key) {
  return crypto.createHmac("sha256", key).update(body).digest("hex");
}

/** Whether `signature` (an `Idenfy-Signature` header) signs `body` with `key`. */
function verifySignature(body, signature, key) {
  if (!signature) return false;
  const expected = Buffer.from(sign(body, key));
  const given = Buffer.from(String(signature).trim().toLowerCase());
  return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}

function seg(value) {
  return encodeURIComponent(String(value));
}

function errorMessage(text) {
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed.message === "string") {
      return { message: parsed.message, identifier: typeof parsed.identifier === "string" ? parsed.identifier : null };
    }
  } catch {
    // not JSON
  }
  return { message: null, identifier: null };
}

function describe(w) {
  let text = `#${w.id} ${w.event} ${w.state}`;
  const attempts = w.attempts || [];
  if (attempts.length) {
    const last = attempts[attempts.length - 1];
    text += ` (${attempts.length} attempt${attempts.length === 1 ? "" : "s"}, last: ${last.error || last.status})`;
  }
  return text;
}

/** A client of a running idenfy-mock's control API, plus the iDenfy calls tests need. */
class IdenfyMockClient {
  /**
   * @param {{url: string, apiKey?: string, apiSecret?: string, signingKey?: string|null,
   *          adminToken?: string|null, timeoutMs?: number}} options
   */
  constructor(options) {
    const o = options || {};
    this.url = "";
    if (o.url) this._setUrl(o.url);
    this.apiKey = o.apiKey ?? DEFAULT_API_KEY;
    this.apiSecret = o.apiSecret ?? DEFAULT_API_SECRET;
    this.signingKey = o.signingKey === undefined ? DEFAULT_SIGNING_KEY : o.signingKey;
    this.adminToken = o.adminToken ?? null;
    this.timeoutMs = o.timeoutMs ?? 30000;
  }

  _setUrl(url) {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new TypeError(`not an http(s) URL: ${url}`);
    this.url = url.replace(/\/+$/, "");
    this._base = parsed;
  }

  _checkUsable(method, p) {
    if (!this.url) throw new IdenfyMockError(`${method} ${p}: no URL`);
  }

  /** @returns {Promise<{status: number, text: string}>} */
  _request(method, p, { query, body, auth, timeoutMs, expect = [200, 201, 204] } = {}) {
    this._checkUsable(method, p);
    let target = this._base.pathname.replace(/\/+$/, "") + p;
    if (query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) q.append(k, String(v));
      const s = q.toString();
      if (s) target += `?${s}`;
    }
    const headers = { Accept: "application/json", "X-Idenfy-Mock": "1" };
    let data = null;
    if (body !== undefined) {
      data = Buffer.from(JSON.stringify(body));
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = String(data.length);
    }
    if (auth) headers.Authorization = `Basic ${Buffer.from(`${auth[0]}:${auth[1]}`).toString("base64")}`;
    else if (this.adminToken) headers.Authorization = `Bearer ${this.adminToken}`;
    const mod = this._base.protocol === "https:" ? https : http;
    const t = timeoutMs ?? this.timeoutMs;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        {
          protocol: this._base.protocol,
          hostname: this._base.hostname.replace(/^\[|\]$/g, ""),
          port: this._base.port || undefined,
          method,
          path: target,
          headers,
          agent: false,
        },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("error", (err) => reject(new IdenfyMockError(`${method} ${this.url}${p}: ${err.message}`)));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode || 0;
            if (!expect.includes(status)) {
              const { message, identifier } = errorMessage(text);
              let said = message ?? (text || "(empty body)");
              if (identifier) said += ` (${identifier})`;
              reject(new IdenfyMockError(`${method} ${p} answered ${status}: ${said}`, { status, message, body: text }));
            } else {
              resolve({ status, text });
            }
          });
        },
      );
      req.setTimeout(t, () => req.destroy(new Error(`no answer within ${t} ms`)));
      req.on("error", (err) =>
        reject(new IdenfyMockError(`${method} ${this.url}${p}: the mock did not answer: ${err.message}`)),
      );
      req.end(data);
    });
  }

  async _json(method, p, options) {
    const { text } = await this._request(method, p, options);
    return text ? JSON.parse(text) : null;
  }

  async _allPages(p, query) {
    const items = [];
    for (;;) {
      const page = await this._json("GET", p, { query: { ...query, offset: items.length, limit: 1000 } });
      items.push(...page.items);
      if (!page.items.length || items.length >= page.total) return items;
    }
  }

  /** `GET /_mock/health`. */
  health() {
    return this._json("GET", "/_mock/health");
  }

  /** `GET /_mock/scenarios`: dummy statuses, manual results, page outcomes, tags, fault actions. */
  scenarios() {
    return this._json("GET", "/_mock/scenarios");
  }

  /** `POST /api/v2/token` as this partner; `body` in iDenfy's names (`clientId` defaults to "test-client"). */
  createToken(body = {}) {
    return this._json("POST", "/api/v2/token", {
      body: { clientId: "test-client", ...body },
      auth: [this.apiKey, this.apiSecret],
    });
  }

  /**
   * `POST /api/v2/add-dummy-status`: a manual review result (FACE_MATCH with
   * DOC_VALIDATED approves, anything else denies); an
   * IDENTIFICATION_MANUAL_FINISHED webhook follows.
   */
  async addDummyStatus(scanRef, { face = "FACE_MATCH", document = "DOC_VALIDATED" } = {}) {
    await this._request("POST", "/api/v2/add-dummy-status", {
      body: { scanRef, manualFaceMatchResult: face, manualDocumentValidity: document },
      auth: [this.apiKey, this.apiSecret],
    });
  }

  /** `GET /_mock/verifications/{scanRef}`: its full state with its webhooks. */
  verification(scanRef) {
    return this._json("GET", `/_mock/verifications/${seg(scanRef)}`);
  }

  /** `GET /_mock/verifications`, every page, oldest first. */
  verifications({ clientId, status, partner } = {}) {
    return this._allPages("/_mock/verifications", { clientId, status, partner });
  }

  /**
   * `POST /_mock/verifications/{scanRef}/finish`, as the verification page's
   * buttons: outcome `approve`, `deny` (with `face`, `document`), `suspect`
   * (with `tag`) or `unverified`. The webhook goes out; wait for it. A deny
   * with attempts left (a session gives 2) answers `result: "retry"` and
   * sends nothing yet, unless `lastAttempt` is set.
   */
  finish(scanRef, outcome, { face, document, tag, lastAttempt } = {}) {
    const body = { outcome };
    if (face != null) body.face = face;
    if (document != null) body.document = document;
    if (tag != null) body.tag = tag;
    if (lastAttempt) body.lastAttempt = true;
    return this._json("POST", `/_mock/verifications/${seg(scanRef)}/finish`, { body });
  }

  /** `GET /_mock/webhooks`: the journal, oldest first, every page. */
  webhooks({ scanRef, event, state } = {}) {
    return this._allPages("/_mock/webhooks", { scanRef, event, state });
  }

  /** `GET /_mock/webhooks/{id}`. */
  webhook(id) {
    return this._json("GET", `/_mock/webhooks/${Number(id)}`);
  }

  /** `POST /_mock/webhooks/{id}/replay`; answers the new entry's id. */
  async replayWebhook(id) {
    const answer = await this._json("POST", `/_mock/webhooks/${Number(id)}/replay`);
    return answer.id;
  }

  /**
   * Waits (a long-poll, no sleeping) for a webhook of `scanRef` and answers
   * its journal record (`body` is the exact text sent, `headers` the pairs
   * sent). Without `state` it answers once one has settled; `"delivered"`
   * waits for that one, `"any"` includes pending. Rejects with a
   * WebhookTimeoutError naming the scanRef and what was seen.
   */
  async waitForWebhook(scanRef, { event, state, timeoutMs = 10000 } = {}) {
    const deadline = Date.now() + Math.max(0, timeoutMs);
    for (;;) {
      const leftMs = Math.max(0, deadline - Date.now());
      const pollMs = Math.min(leftMs, MAX_POLL_MS);
      try {
        return await this._json("GET", "/_mock/webhooks/wait", {
          query: { scanRef, event, state, timeoutMs: pollMs },
          timeoutMs: pollMs + 10000,
        });
      } catch (err) {
        if (!(err instanceof IdenfyMockError) || err.status !== 408) throw err;
        if (leftMs > pollMs) continue;
        throw await this._timeoutError(scanRef, event, state, timeoutMs, err);
      }
    }
  }

  async _timeoutError(scanRef, event, state, timeoutMs, cause) {
    let wanted = state == null ? "settled webhook" : `webhook in state ${state}`;
    if (event) wanted = `${event} ${wanted}`;
    let seen = [];
    let what;
    try {
      const detail = await this.verification(scanRef);
      seen = detail.webhooks || [];
      what = seen.length
        ? `seen for it: ${seen.map(describe).join("; ")}`
        : `no webhook journaled for it (the verification is ${detail.status})`;
    } catch (err) {
      what =
        err instanceof IdenfyMockError && err.status === 404
          ? `the mock has no verification with this scanRef (${err.mockMessage})`
          : `could not list what was seen: ${err.message}`;
    }
    return new WebhookTimeoutError(
      `no ${wanted} for scanRef '${scanRef}' within ${timeoutMs} ms; ${what}; the mock said: ${cause.mockMessage}`,
      { scanRef, seen, status: cause.status, message: cause.mockMessage, body: cause.body },
    );
  }

  /** `GET /_mock/clock`. */
  clock() {
    return this._json("GET", "/_mock/clock");
  }

  /** `POST /_mock/clock/advance`: moves the mock's time (negative: back); due expiries happen at once. */
  advanceClock(seconds) {
    return this._json("POST", "/_mock/clock/advance", { body: { seconds: Math.trunc(seconds) } });
  }

  /** `POST /_mock/clock/set`: Unix seconds or a Date. */
  setClock(now) {
    const secs = now instanceof Date ? Math.floor(now.getTime() / 1000) : Math.trunc(now);
    return this._json("POST", "/_mock/clock/set", { body: { now: secs } });
  }

  /**
   * `POST /_mock/faults`: `{target: "api"|"webhook", action, path, event, partner, times}`;
   * `action` is an object (`{type: "status", status: 503}`) or just a type (`"drop"`).
   */
  injectFault(spec) {
    const body = { ...spec };
    if (typeof body.action === "string") body.action = { type: body.action };
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    return this._json("POST", "/_mock/faults", { body });
  }

  /** `GET /_mock/faults`, with `fired` and `remaining`. */
  faults() {
    return this._json("GET", "/_mock/faults");
  }

  /** `DELETE /_mock/faults` (all) or `/_mock/faults/{id}` (one). */
  async clearFaults(id) {
    await this._request("DELETE", id == null ? "/_mock/faults" : `/_mock/faults/${Number(id)}`);
  }

  /** `POST /_mock/reset`: everything, or only `partner`'s (an API key) data. */
  reset({ partner } = {}) {
    return this._json("POST", "/_mock/reset", { body: partner == null ? {} : { partner } });
  }

  /** The URL of the mock's built-in webhook receiver `name`. */
  inboxUrl(name) {
    return `${this.url}/_mock/inbox/${seg(name)}`;
  }

  /** `GET /_mock/inbox/{name}`: what that receiver got, signatures checked. */
  inbox(name) {
    return this._json("GET", `/_mock/inbox/${seg(name)}`);
  }

  /** Whether a webhook record's `Idenfy-Signature` signs its exact body with `key` (default: this partner's). */
  verifySignature(record, key) {
    const k = key === undefined ? this.signingKey : key;
    if (!k) throw new TypeError("no signing key: pass one");
    return verifySignature(record.body, header(record, "Idenfy-Signature"), k);
  }
}

// -- the process ----------------------------------------------------------------

function onPath(name) {
  const dirs = (process.env.PATH || "").split(path.delimiter).filter(Boolean);
  const exts = process.platform === "win32" ? ["", ...(process.env.PATHEXT || ".EXE").split(";")] : [""];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // next
      }
    }
  }
  return null;
}

/**
 * The idenfy-mock executable: `binary` when given; else this package's own
 * (the platform package, or IDENFY_MOCK_BINARY_PATH, as `npx idenfy-mock`
 * runs it); else IDENFY_MOCK_BIN; else `idenfy-mock` on PATH.
 */
function findBinary(binary) {
  if (binary) return binary;
  let why;
  try {
    return packagedBinary();
  } catch (err) {
    why = err.message;
  }
  if (process.env.IDENFY_MOCK_BIN) return process.env.IDENFY_MOCK_BIN;
  const found = onPath("idenfy-mock");
  if (found) return found;
  throw new StartError(`idenfy-mock: no binary found: ${why}; IDENFY_MOCK_BIN is not set and there is no idenfy-mock on PATH`);
}

// Never leave the mock behind:
// 1. IDENFY_MOCK_EXIT_WITH_PARENT=1 with stdin a pipe that is never written:
//    a binary that supports it stops when the pipe closes, which the kernel
//    does when this process dies however it dies (older binaries ignore it);
// 2. until then, a watchdog (sh on POSIX, node on Windows) holding the other
//    end of a pipe from this process stops the mock when the pipe closes;
// 3. on a normal exit, process 'exit' stops every mock still running.
const SH_WATCHDOG = `
trap '' INT
while read -r _; do :; done
kill -TERM "$1" 2>/dev/null || exit 0
i=0
while kill -0 "$1" 2>/dev/null; do
  if [ "$i" -ge "$2" ]; then kill -KILL "$1" 2>/dev/null; exit 0; fi
  sleep 1
  i=$((i + 1))
done
`;
const NODE_WATCHDOG = `
const pid = Number(process.argv[1]);
process.on("SIGINT", () => {});
const stop = () => { try { process.kill(pid, "SIGTERM"); } catch {} process.exit(0); };
process.stdin.on("data", () => {});
process.stdin.on("end", stop);
process.stdin.on("error", stop);
`;

function startWatchdog(pid, graceMs) {
  try {
    const graceSecs = String(Math.max(1, Math.ceil(graceMs / 1000)));
    const wd =
      process.platform === "win32"
        ? spawn(process.execPath, ["-e", NODE_WATCHDOG, String(pid)], { stdio: ["pipe", "ignore", "ignore"], windowsHide: true })
        : spawn("/bin/sh", ["-c", SH_WATCHDOG, "idenfy-mock-watchdog", String(pid), graceSecs], {
            stdio: ["pipe", "ignore", "ignore"],
          });
    wd.on("error", () => {});
    wd.stdin.on("error", () => {});
    wd.unref();
    wd.stdin.unref();
    return wd;
  } catch {
    return null;
  }
}

const live = new Set();
let exitHook = false;
function stopAllOnExit() {
  for (const mock of live) mock._killNow();
}

class IdenfyMock extends IdenfyMockClient {
  constructor(options = {}) {
    super({
      apiKey: options.apiKey,
      apiSecret: options.apiSecret,
      signingKey: options.signingKey === "" ? null : options.signingKey,
      adminToken: options.adminToken,
    });
    this._options = options;
    this.binary = null;
    this._child = null;
    this._watchdog = null;
    this._lines = [];
    this._exited = null;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10000;
  }

  /** The mock process's id while it runs. */
  get pid() {
    return this._child ? this._child.pid : null;
  }

  /** The mock's last output lines (stdout and stderr). */
  get output() {
    return this._lines.slice();
  }

  _checkUsable(method, p) {
    if (!this._child) {
      throw new IdenfyMockError(`${method} ${p}: the mock is not running (await startIdenfyMock() first)`);
    }
  }

  async _start() {
    const o = this._options;
    const binary = findBinary(o.binary);
    this.binary = binary;
    const args = ["--listen", `${o.host ?? "127.0.0.1"}:${o.port ?? 0}`];
    if (o.config) args.push("--config", o.config);
    if (o.webhookUrl) args.push("--webhook-url", o.webhookUrl);
    if (o.seed != null) args.push("--seed", String(o.seed));
    if (o.dropIn) args.push("--drop-in");
    args.push(...(o.args || []));
    const env = {
      ...process.env,
      IDENFY_MOCK_API_KEY: this.apiKey,
      IDENFY_MOCK_API_SECRET: this.apiSecret,
      IDENFY_MOCK_EXIT_WITH_PARENT: "1",
    };
    env.IDENFY_MOCK_SIGNING_KEY = this.signingKey || ""; // empty: webhooks go unsigned
    if (this.adminToken) env.IDENFY_MOCK_ADMIN_TOKEN = this.adminToken;
    Object.assign(env, o.env || {});
    const startTimeoutMs = o.startTimeoutMs ?? 10000;
    const deadline = Date.now() + startTimeoutMs;
    const keep = o.keepLines ?? 500;

    const child = spawn(binary, args, { stdio: ["pipe", "pipe", "pipe"], env, windowsHide: true });
    this._child = child;
    live.add(this);
    if (!exitHook) {
      exitHook = true;
      process.on("exit", stopAllOnExit);
    }
    child.stdin.on("error", () => {});
    let spawnError = null;
    this._exited = new Promise((resolve) => {
      child.on("error", (err) => {
        spawnError = err;
        resolve(null);
      });
      child.on("exit", (code, signal) => {
        this._killWatchdog();
        resolve(code ?? signal);
      });
    });

    let address = null;
    let onAddress;
    const addressSeen = new Promise((resolve) => (onAddress = resolve));
    for (const stream of [child.stdout, child.stderr]) {
      let partial = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk) => {
        partial += chunk;
        let nl;
        while ((nl = partial.indexOf("\n")) >= 0) {
          const line = partial.slice(0, nl).replace(/\r$/, "");
          partial = partial.slice(nl + 1);
          this._lines.push(line);
          if (this._lines.length > keep) this._lines.shift();
          if (o.onOutput) {
            try {
              o.onOutput(line);
            } catch {
              // the caller's problem
            }
          }
          if (!address) {
            const m = LISTENING.exec(line);
            if (m) {
              address = m[1] || m[2];
              onAddress();
            }
          }
        }
      });
    }
    if (child.pid) this._watchdog = startWatchdog(child.pid, this.stopTimeoutMs);

    const fail = async (why) => {
      await Promise.race([this._exited, new Promise((r) => setTimeout(r, 200))]);
      const tail = this._lines.slice(-20).join("\n") || "(no output)";
      await this.stop().catch(() => {});
      return new StartError(
        `idenfy-mock (${binary}) did not start within ${startTimeoutMs} ms: ${why}; its output:\n${tail}`,
      );
    };

    let timer;
    const timedOut = new Promise((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()));
    });
    try {
      const first = await Promise.race([addressSeen.then(() => "address"), this._exited.then(() => "exited"), timedOut]);
      if (first !== "address") {
        if (spawnError) {
          this._child = null;
          live.delete(this);
          this._killWatchdog();
          throw new StartError(`idenfy-mock: cannot run ${binary}: ${spawnError.message}`);
        }
        throw await fail(first === "exited" ? `it exited with status ${child.exitCode ?? child.signalCode}` : "it did not print its address");
      }
      this._setUrl(`http://${address}`);
      let last = null;
      for (;;) {
        try {
          const health = await this._json("GET", "/_mock/health", { timeoutMs: Math.max(100, deadline - Date.now()) });
          if (health && health.exitWithParent === true) this._killWatchdog(); // the mock stops with us by itself
          break;
        } catch (err) {
          last = err;
        }
        const again = await Promise.race([
          this._exited.then(() => "exited"),
          new Promise((r) => setTimeout(() => r("again"), 5)),
        ]);
        if (again === "exited") throw await fail(`it exited with status ${child.exitCode ?? child.signalCode}`);
        if (Date.now() > deadline) throw await fail(`/_mock/health did not answer: ${last && last.message}`);
      }
    } finally {
      clearTimeout(timer);
    }
    // Running: let the test process exit without stop() (the exit hook stops the mock then).
    child.unref();
    child.stdin.unref?.();
    child.stdout.unref?.();
    child.stderr.unref?.();
    return this;
  }

  _killWatchdog() {
    const wd = this._watchdog;
    this._watchdog = null;
    if (wd && wd.exitCode === null && wd.signalCode === null) {
      try {
        wd.kill("SIGKILL");
      } catch {
        // gone
      }
    }
    if (wd) wd.stdin.destroy();
  }

  _killNow() {
    this._killWatchdog();
    const child = this._child;
    if (child && child.exitCode === null && child.signalCode === null) {
      try {
        child.kill("SIGTERM");
      } catch {
        // gone
      }
    }
  }

  /**
   * Stops the mock: SIGTERM, then SIGKILL after `timeoutMs` (default
   * stopTimeoutMs, 10 s). Resolves to its exit code (or signal); safe to call twice.
   */
  async stop({ timeoutMs } = {}) {
    const child = this._child;
    if (!child) return null;
    this._killWatchdog();
    const grace = timeoutMs ?? this.stopTimeoutMs;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      let timer;
      const late = new Promise((r) => {
        timer = setTimeout(() => r("late"), grace);
      });
      const first = await Promise.race([this._exited, late]);
      clearTimeout(timer);
      if (first === "late") {
        child.kill("SIGKILL");
      }
    }
    const result = await this._exited;
    child.stdin.destroy();
    this._child = null;
    live.delete(this);
    return result;
  }
}

if (typeof Symbol.asyncDispose === "symbol") {
  IdenfyMock.prototype[Symbol.asyncDispose] = function dispose() {
    return this.stop().then(() => undefined);
  };
}

/**
 * Starts idenfy-mock on a free loopback port; resolves once /_mock/health
 * answers. Options: binary, apiKey, apiSecret, signingKey, adminToken,
 * webhookUrl, config, seed, dropIn (passes --drop-in: needs an idenfy-mock
 * with drop-in mode), args, env, host, port, startTimeoutMs, stopTimeoutMs,
 * onOutput(line).
 */
function startIdenfyMock(options = {}) {
  return new IdenfyMock(options)._start();
}

/** A client of an idenfy-mock that runs elsewhere (a container, a CI service). */
function connectIdenfyMock(options) {
  return new IdenfyMockClient(options);
}

module.exports = {
  DEFAULT_API_KEY,
  DEFAULT_API_SECRET,
  DEFAULT_SIGNING_KEY,
  IdenfyMock,
  IdenfyMockClient,
  IdenfyMockError,
  StartError,
  WebhookTimeoutError,
  connectIdenfyMock,
  findBinary,
  header,
  sign,
  startIdenfyMock,
  verifySignature,
};
