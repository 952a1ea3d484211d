// The helper under Jest (CommonJS, Jest's globals). Run by
// scripts/helpers-test-py-node --runners.
const { startIdenfyMock, WebhookTimeoutError } = require("idenfy-mock");

let mock;
beforeAll(async () => {
  mock = await startIdenfyMock();
});
beforeEach(() => mock.reset());
afterAll(() => mock.stop());

test("jest: a dummy token's signed webhook, a finish and a timeout", async () => {
  const { scanRef } = await mock.createToken({ clientId: "user-1", dummyStatus: "APPROVED" });
  const hook = await mock.waitForWebhook(scanRef, { timeoutMs: 5000 });
  expect(JSON.parse(hook.body).status.overall).toBe("APPROVED");
  expect(mock.verifySignature(hook)).toBe(true);
  const active = await mock.createToken({ clientId: "user-2" });
  // A deny on the last of the session's attempts: the webhook is sent now.
  await mock.finish(active.scanRef, "deny", { lastAttempt: true });
  expect(JSON.parse((await mock.waitForWebhook(active.scanRef)).body).status.overall).toBe("DENIED");
  const waiting = await mock.createToken({ clientId: "user-3" });
  const err = await mock.waitForWebhook(waiting.scanRef, { timeoutMs: 200 }).catch((e) => e);
  expect(err).toBeInstanceOf(WebhookTimeoutError);
  expect(err.message).toContain(waiting.scanRef);
});
