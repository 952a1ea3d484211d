// idenfy-mock/testcontainers against the container image: run by
// scripts/helpers-test-containers (podman's Docker-compatible API, Ryuk
// off), not by the default helper tests. The image is $IDENFY_MOCK_IMAGE.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, test } from "node:test";
import { IdenfyMockError, WebhookTimeoutError, header } from "idenfy-mock";
import { startIdenfyMockContainer } from "idenfy-mock/testcontainers";

let started;
before(async () => {
  started = await startIdenfyMockContainer({ apiKey: "tc-key", apiSecret: "tc-secret", signingKey: "tc-signing-key" });
});
after(() => started?.stop());

async function idenfyPost(mock, path, body) {
  const res = await fetch(mock.url + path, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from(`${mock.apiKey}:${mock.apiSecret}`).toString("base64")}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => ({})) };
}

test("the client points at the mapped port", async () => {
  assert.match(started.url, /^http:\/\/.+:\d+$/);
  assert.equal(started.client.url, started.url);
  assert.equal((await started.client.health()).status, "ok");
  assert.equal(started.container.getMappedPort(8080), Number(new URL(started.url).port));
});

test("token, signed webhook, finish, clock, fault, reset, a timeout", async () => {
  const mock = started.client;
  await mock.reset();
  const token = (await idenfyPost(mock, "/api/v2/token", { clientId: "user-1", dummyStatus: "APPROVED" })).body;
  const hook = await mock.waitForWebhook(token.scanRef, { timeoutMs: 10000 });
  const expected = crypto.createHmac("sha256", "tc-signing-key").update(hook.body).digest("hex");
  assert.equal(header(hook, "Idenfy-Signature"), expected);

  const active = (await idenfyPost(mock, "/api/v2/token", { clientId: "user-2" })).body;
  await mock.finish(active.scanRef, "approve");
  assert.equal(JSON.parse((await mock.waitForWebhook(active.scanRef)).body).status.overall, "APPROVED");

  const expiring = (await idenfyPost(mock, "/api/v2/token", { clientId: "user-3", expiryTime: 60 })).body;
  await mock.advanceClock(61);
  assert.ok((await mock.waitForWebhook(expiring.scanRef, { event: "IDENTIFICATION_EXPIRED" })).final);

  await mock.injectFault({ target: "api", path: "/api/v2/token", action: { type: "status", status: 503 } });
  assert.equal((await idenfyPost(mock, "/api/v2/token", { clientId: "user-4" })).status, 503);

  assert.equal((await mock.reset()).scope, "all");
  assert.deepEqual(await mock.webhooks(), []);
  await assert.rejects(mock.waitForWebhook(token.scanRef, { timeoutMs: 300 }), (err) => {
    assert.ok(err instanceof WebhookTimeoutError);
    assert.ok(err.message.includes(token.scanRef));
    return true;
  });
  await assert.rejects(mock.finish("nope", "approve"), (err) => {
    assert.ok(err instanceof IdenfyMockError);
    assert.equal(err.mockMessage, "no verification with scanRef 'nope'");
    return true;
  });
});
