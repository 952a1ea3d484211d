// The Node helper's own tests, shared by helper.test.mjs (which loads the
// package with `import`) and helper.test.cjs (with `require`). Run by
// scripts/helpers-test-py-node with `node --test` in a fresh folder where the
// npm tarballs are installed as a user installs them. The iDenfy calls go
// through fetch, as an application's own HTTP client would make them.
"use strict";

const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const http = require("node:http");
const os = require("node:os");
const path = require("node:path");
const { after, before, beforeEach, test } = require("node:test");

const SIGNING_KEY = "idenfy-mock-signing-key";

function signatureOk(key, body, signature) {
  const expected = crypto.createHmac("sha256", key).update(body).digest("hex");
  return typeof signature === "string" && signature === expected;
}

function headerOf(record, name) {
  const pair = record.headers.find(([k]) => k.toLowerCase() === name.toLowerCase());
  return pair && pair[1];
}

async function idenfyPost(mock, path, body) {
  const res = await fetch(mock.url + path, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from(`${mock.apiKey}:${mock.apiSecret}`).toString("base64")}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

async function newToken(mock, fields = {}) {
  const { status, body } = await idenfyPost(mock, "/api/v2/token", { clientId: "user-1", ...fields });
  assert.equal(status, 201, JSON.stringify(body));
  assert.ok(body.scanRef);
  return body;
}

/** Whether `pid` runs (a zombie nobody reaped yet counts as gone). */
function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] !== "Z";
  } catch (err) {
    if (err.code === "ENOENT") return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function healthAnswers(url) {
  return new Promise((resolve) => {
    const req = http.get(`${url}/_mock/health`, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode === 200));
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
  });
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

// A stand-in for an idenfy-mock that supports IDENFY_MOCK_EXIT_WITH_PARENT=1
// (not in the binary yet): it serves /_mock/health with exitWithParent, stops
// when its stdin reaches end of file, and ignores SIGTERM, so only the closed
// pipe can have stopped it.
const FAKE = `
const http = require("node:http");
process.on("SIGTERM", () => {});
if (process.env.IDENFY_MOCK_EXIT_WITH_PARENT !== "1") { console.error("IDENFY_MOCK_EXIT_WITH_PARENT is not set"); process.exit(3); }
const server = http.createServer((req, res) => {
  res.statusCode = req.url === "/_mock/health" ? 200 : 404;
  res.end(JSON.stringify({ status: "ok", version: "fake", uptimeSecs: 0, verifications: 0, webhooksPending: 0, exitWithParent: true }));
});
server.listen(0, "127.0.0.1", () => console.log("INFO fake listening on 127.0.0.1:" + server.address().port));
process.stdin.on("data", () => {});
process.stdin.on("end", () => process.exit(0));
`;

module.exports = function cases(lib, flavour) {
  const { startIdenfyMock, IdenfyMockError, WebhookTimeoutError, header } = lib;
  let mock;

  before(async () => {
    mock = await startIdenfyMock();
  });
  beforeEach(async () => {
    await mock.reset();
  });
  after(async () => {
    await mock.stop();
  });

  test(`${flavour}: url and the default partner's credentials`, async () => {
    assert.match(mock.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual([mock.apiKey, mock.apiSecret, mock.signingKey], [
      "idenfy-mock-key",
      "idenfy-mock-secret",
      SIGNING_KEY,
    ]);
    const res = await fetch(`${mock.url}/_mock/health`);
    assert.equal((await res.json()).status, "ok");
    assert.equal(typeof mock.pid, "number");
  });

  test(`${flavour}: a dummy token's webhook, signature verified`, async () => {
    const token = await newToken(mock, { dummyStatus: "APPROVED" });
    const hook = await mock.waitForWebhook(token.scanRef, { timeoutMs: 10000 });
    assert.equal(hook.scanRef, token.scanRef);
    assert.equal(hook.event, "IDENTIFICATION_AUTO_FINISHED");
    assert.equal(header(hook, "idenfy-event-type"), "IDENTIFICATION_AUTO_FINISHED");
    assert.ok(signatureOk(SIGNING_KEY, hook.body, headerOf(hook, "Idenfy-Signature")));
    assert.ok(mock.verifySignature(hook));
    assert.equal(JSON.parse(hook.body).status.overall, "APPROVED");
    assert.deepEqual((await mock.webhooks({ scanRef: token.scanRef })).map((w) => w.id), [hook.id]);
  });

  test(`${flavour}: the webhook reaches a receiver byte for byte`, async () => {
    const got = [];
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        got.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.end();
      });
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${server.address().port}/idenfy/webhook`;
      const token = await newToken(mock, { dummyStatus: "DENIED", callbackUrl: url });
      const hook = await mock.waitForWebhook(token.scanRef, { state: "delivered", timeoutMs: 10000 });
      assert.equal(hook.target, url);
      assert.equal(got.length, 1);
      assert.equal(got[0].body, hook.body);
      assert.ok(signatureOk(SIGNING_KEY, got[0].body, got[0].headers["idenfy-signature"]));
      assert.equal(JSON.parse(got[0].body).status.overall, "DENIED");
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test(`${flavour}: finish with each of the page's outcomes`, async () => {
    const { pageOutcomes } = await mock.scenarios();
    assert.deepEqual(pageOutcomes, ["approve", "deny", "suspect", "unverified"]);
    const expected = {
      approve: ["IDENTIFICATION_AUTO_FINISHED", "APPROVED"],
      deny: ["IDENTIFICATION_AUTO_FINISHED", "DENIED"],
      suspect: ["IDENTIFICATION_AUTO_FINISHED", "SUSPECTED"],
      unverified: ["IDENTIFICATION_CANCELLED", "EXPIRED"],
    };
    for (const outcome of pageOutcomes) {
      const token = await newToken(mock); // ACTIVE until finished
      let answer = await mock.finish(token.scanRef, outcome);
      if (outcome === "deny") {
        // The first of the session's two attempts failed: no webhook yet.
        assert.deepEqual([answer.result, answer.attemptsLeft], ["retry", 1]);
        answer = await mock.finish(token.scanRef, outcome);
      }
      assert.equal(answer.verification.scanRef, token.scanRef);
      const hook = await mock.waitForWebhook(token.scanRef, { timeoutMs: 10000 });
      assert.deepEqual([hook.event, JSON.parse(hook.body).status.overall], expected[outcome], outcome);
      assert.ok(mock.verifySignature(hook));
    }
    const denied = await newToken(mock);
    await mock.finish(denied.scanRef, "deny", { face: "FACE_MATCH", document: "DOC_FAKE", lastAttempt: true });
    const { status } = JSON.parse((await mock.waitForWebhook(denied.scanRef, { timeoutMs: 10000 })).body);
    assert.deepEqual([status.autoFace, status.autoDocument], ["FACE_MATCH", "DOC_FAKE"]);
  });

  test(`${flavour}: add-dummy-status sends the manual webhook`, async () => {
    const token = await newToken(mock, { dummyStatus: "DENIED", reviewFailed: true });
    const auto = await mock.waitForWebhook(token.scanRef, { event: "IDENTIFICATION_AUTO_FINISHED" });
    assert.equal(JSON.parse(auto.body).final, false);
    await mock.addDummyStatus(token.scanRef, { face: "FACE_MATCH", document: "DOC_VALIDATED" });
    const manual = await mock.waitForWebhook(token.scanRef, { event: "IDENTIFICATION_MANUAL_FINISHED" });
    const body = JSON.parse(manual.body);
    assert.equal(body.final, true);
    assert.equal(body.status.overall, "APPROVED");
  });

  test(`${flavour}: moving the clock expires a token`, async () => {
    const token = await newToken(mock, { expiryTime: 600 });
    const before = await mock.clock();
    const later = await mock.advanceClock(601);
    assert.ok(later.now - before.now >= 601 && later.offsetMs >= 601000);
    const hook = await mock.waitForWebhook(token.scanRef, { event: "IDENTIFICATION_EXPIRED", timeoutMs: 10000 });
    assert.equal(JSON.parse(hook.body).status.overall, "EXPIRED");
    assert.equal((await mock.setClock(new Date(before.now * 1000))).now, before.now);
  });

  test(`${flavour}: faults on the API and on webhooks`, async () => {
    const fault = await mock.injectFault({ target: "api", path: "/api/v2/token", action: { type: "status", status: 503 } });
    assert.equal(fault.remaining, 1);
    assert.equal((await idenfyPost(mock, "/api/v2/token", { clientId: "user-2" })).status, 503);
    assert.equal((await mock.faults())[0].fired, 1);
    await newToken(mock); // it fired once only

    await mock.injectFault({ target: "webhook", event: "IDENTIFICATION_AUTO_FINISHED", action: "bad_signature" });
    const token = await newToken(mock, { dummyStatus: "APPROVED" });
    const hook = await mock.waitForWebhook(token.scanRef, { timeoutMs: 10000 });
    assert.equal(signatureOk(SIGNING_KEY, hook.body, headerOf(hook, "Idenfy-Signature")), false);
    assert.equal(mock.verifySignature(hook), false);

    await mock.injectFault({ target: "api", action: { type: "status", status: 500 }, times: 0 });
    await mock.clearFaults();
    assert.deepEqual(await mock.faults(), []);
    await assert.rejects(mock.injectFault({ target: "api", action: "nonsense" }), (err) => {
      assert.ok(err instanceof IdenfyMockError);
      assert.equal(err.status, 400);
      assert.match(err.mockMessage, /unknown variant `nonsense`/);
      assert.match(err.message, /unknown variant `nonsense`/);
      return true;
    });
  });

  test(`${flavour}: reset everything, or one partner`, async () => {
    const token = await newToken(mock, { dummyStatus: "APPROVED" });
    await mock.waitForWebhook(token.scanRef);
    assert.deepEqual(await mock.reset({ partner: mock.apiKey }), { scope: "idenfy-mock-key", removedVerifications: 1 });
    assert.deepEqual(await mock.webhooks(), []);
    await newToken(mock, { dummyStatus: "APPROVED" });
    await mock.advanceClock(60);
    assert.deepEqual(await mock.reset(), { scope: "all", removedVerifications: 1 });
    assert.deepEqual(await mock.webhooks(), []);
    assert.ok(Math.abs((await mock.clock()).offsetMs) < 1000);
    await assert.rejects(mock.reset({ partner: "nobody" }), (err) => {
      assert.equal(err.mockMessage, "no partner has API key 'nobody'");
      return true;
    });
  });

  test(`${flavour}: a wait that times out names the scanRef and what was seen`, async () => {
    const token = await newToken(mock); // ACTIVE: no webhook comes
    const started = Date.now();
    await assert.rejects(mock.waitForWebhook(token.scanRef, { timeoutMs: 300 }), (err) => {
      assert.ok(err instanceof WebhookTimeoutError);
      assert.ok(err instanceof IdenfyMockError);
      assert.ok(err.message.includes(token.scanRef), err.message);
      assert.ok(err.message.includes("no webhook journaled for it (the verification is ACTIVE)"), err.message);
      assert.equal(err.status, 408);
      assert.match(err.mockMessage, /no matching webhook/);
      assert.equal(err.scanRef, token.scanRef);
      assert.deepEqual(err.seen, []);
      return true;
    });
    assert.ok(Date.now() - started < 5000);
    const approved = await newToken(mock, { dummyStatus: "APPROVED" });
    await assert.rejects(
      mock.waitForWebhook(approved.scanRef, { event: "IDENTIFICATION_MANUAL_FINISHED", timeoutMs: 300 }),
      (err) => {
        assert.ok(err.message.includes(approved.scanRef));
        assert.ok(err.message.includes("IDENTIFICATION_AUTO_FINISHED undeliverable"), err.message);
        assert.deepEqual(err.seen.map((w) => w.event), ["IDENTIFICATION_AUTO_FINISHED"]);
        return true;
      },
    );
  });

  test(`${flavour}: errors carry the mock's message`, async () => {
    await assert.rejects(mock.finish("no-such-scan-ref", "approve"), (err) => {
      assert.equal(err.status, 404);
      assert.equal(err.mockMessage, "no verification with scanRef 'no-such-scan-ref'");
      assert.ok(err.message.includes("no verification with scanRef 'no-such-scan-ref'"));
      return true;
    });
    const token = await newToken(mock);
    await assert.rejects(mock.finish(token.scanRef, "maybe"), (err) => {
      assert.equal(err.mockMessage, "outcome must be one of: approve, deny, suspect, unverified");
      return true;
    });
    await assert.rejects(mock.addDummyStatus("no-such-scan-ref"), /was not found/);
  });

  test(`${flavour}: a second mock with its own partner, stopped`, async () => {
    const other = await startIdenfyMock({ apiKey: "k2", apiSecret: "s2", signingKey: "sk2", seed: 7 });
    const pid = other.pid;
    try {
      const token = await newToken(other, { dummyStatus: "SUSPECTED" });
      const hook = await other.waitForWebhook(token.scanRef);
      assert.ok(signatureOk("sk2", hook.body, headerOf(hook, "Idenfy-Signature")));
    } finally {
      assert.equal(await other.stop(), 0);
    }
    assert.equal(other.pid, null);
    assert.equal(alive(pid), false);
    assert.equal(await healthAnswers(other.url), false);
  });

  test(`${flavour}: no signing key means unsigned webhooks`, async () => {
    const unsigned = await startIdenfyMock({ signingKey: null });
    try {
      assert.equal(unsigned.signingKey, null);
      const hook = await unsigned.waitForWebhook((await newToken(unsigned, { dummyStatus: "APPROVED" })).scanRef);
      assert.equal(header(hook, "Idenfy-Signature"), undefined);
    } finally {
      await unsigned.stop();
    }
  });

  test(`${flavour}: a bad start rejects with the mock's message`, async () => {
    await assert.rejects(startIdenfyMock({ args: ["--webhook-url", "not a url"] }), (err) => {
      assert.equal(err.name, "StartError");
      assert.match(err.message, /did not start/);
      assert.match(err.message, /webhook/i);
      return true;
    });
    await assert.rejects(startIdenfyMock({ binary: "/nonexistent/idenfy-mock" }), /\/nonexistent\/idenfy-mock/);
  });

  test(`${flavour}: no mock is left behind when the test process is killed`, { skip: process.platform === "win32" }, async () => {
    const script = `
      const { startIdenfyMock } = require(${JSON.stringify(require.resolve("idenfy-mock", { paths: [process.cwd()] }))});
      startIdenfyMock().then((m) => { console.log(m.pid, m.url); setInterval(() => {}, 1 << 30); });
    `;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const line = await new Promise((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (c) => {
          out += c;
          if (out.includes("\n")) resolve(out.trim());
        });
        child.on("exit", () => reject(new Error(`the child exited first: ${out}`)));
      });
      const [pidText, url] = line.split(" ");
      const pid = Number(pidText);
      assert.ok(alive(pid));
      assert.equal(await healthAnswers(url), true);
      process.kill(child.pid, "SIGKILL");
      const deadline = Date.now() + 10000;
      while (alive(pid) && Date.now() < deadline) await pause(20); // polling with a deadline
      assert.equal(alive(pid), false, `the mock (pid ${pid}) outlived the killed test process`);
      assert.equal(await healthAnswers(url), false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });

  test(`${flavour}: a binary that exits with its parent needs no watchdog`, { skip: process.platform === "win32" }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "idenfy-mock-fake-"));
    const fake = path.join(dir, "idenfy-mock");
    fs.writeFileSync(fake, `#!${process.execPath}\n${FAKE}`, { mode: 0o755 });
    const script = `
      const { startIdenfyMock } = require(${JSON.stringify(require.resolve("idenfy-mock", { paths: [process.cwd()] }))});
      startIdenfyMock({ binary: ${JSON.stringify(fake)} }).then(async (m) => {
        if ((await m.health()).exitWithParent !== true) process.exit(2);
        console.log(m.pid, m.url);
        setInterval(() => {}, 1 << 30);
      });
    `;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const line = await new Promise((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (c) => {
          out += c;
          if (out.includes("\n")) resolve(out.trim());
        });
        child.on("exit", () => reject(new Error(`the child exited first: ${out}`)));
      });
      const pid = Number(line.split(" ")[0]);
      assert.ok(alive(pid));
      process.kill(child.pid, "SIGKILL");
      const deadline = Date.now() + 5000; // less than the watchdog's grace: only the closed stdin can stop it
      while (alive(pid) && Date.now() < deadline) await pause(20); // polling with a deadline
      assert.equal(alive(pid), false, "the stand-in did not see its stdin close");
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
};
