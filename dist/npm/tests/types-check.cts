// Compiled (not run) by scripts/helpers-test-py-node: the shipped .d.ts
// types, as a CommonJS TypeScript test sees them.
import lib = require("idenfy-mock");

export async function flow(): Promise<void> {
  const mock: lib.IdenfyMock = await lib.startIdenfyMock();
  const hook: lib.WebhookRecord = await mock.waitForWebhook("scan-ref");
  const sig: string = lib.sign(hook.body, mock.signingKey ?? "");
  await mock.stop();
  void sig;
}
