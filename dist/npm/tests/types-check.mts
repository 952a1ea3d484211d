// Compiled (not run) by scripts/helpers-test-py-node: the shipped .d.mts
// types, as an ES module TypeScript test sees them.
import {
  connectIdenfyMock,
  header,
  IdenfyMockError,
  startIdenfyMock,
  verifySignature,
  WebhookTimeoutError,
  type ClockView,
  type Fault,
  type IdenfyMock,
  type WebhookRecord,
} from "idenfy-mock";
import { startIdenfyMockContainer, type StartedIdenfyMockContainer } from "idenfy-mock/testcontainers";

export async function flow(): Promise<void> {
  const mock: IdenfyMock = await startIdenfyMock({ seed: 1, args: ["--webhook-url", "http://127.0.0.1:9/"] });
  const url: string = mock.url;
  const key: string = mock.apiKey;
  const token = await mock.createToken({ clientId: "c", dummyStatus: "APPROVED" });
  const hook: WebhookRecord = await mock.waitForWebhook(token.scanRef, { event: "IDENTIFICATION_AUTO_FINISHED", timeoutMs: 5000 });
  const body: string = hook.body;
  const sig: string | undefined = header(hook, "Idenfy-Signature");
  const ok: boolean = verifySignature(body, sig, mock.signingKey ?? "") && mock.verifySignature(hook);
  await mock.finish(token.scanRef, "deny", { face: "FACE_MISMATCH" });
  await mock.addDummyStatus(token.scanRef, { face: "FACE_MATCH", document: "DOC_VALIDATED" });
  const clock: ClockView = await mock.advanceClock(60);
  const fault: Fault = await mock.injectFault({ target: "api", path: "/api/v2/token", action: { type: "status", status: 503 } });
  await mock.injectFault({ target: "webhook", action: "drop", times: 0 });
  await mock.clearFaults(fault.id);
  const list: WebhookRecord[] = await mock.webhooks({ scanRef: token.scanRef, state: "delivered" });
  await mock.reset({ partner: key });
  try {
    await mock.waitForWebhook("x", { timeoutMs: 1 });
  } catch (err) {
    if (err instanceof WebhookTimeoutError) {
      const seen: WebhookRecord[] = err.seen;
      const ref: string = err.scanRef;
      void [seen, ref];
    } else if (err instanceof IdenfyMockError) {
      const status: number | null = err.status;
      const said: string | null = err.mockMessage;
      void [status, said];
    }
  }
  const exit: number | string | null = await mock.stop({ timeoutMs: 1000 });
  const remote = connectIdenfyMock({ url, apiKey: key });
  await remote.health();
  const container: StartedIdenfyMockContainer = await startIdenfyMockContainer({ image: "localhost/idenfy-mock:dev" });
  const viaContainer: WebhookRecord = await container.client.waitForWebhook("x");
  await container.stop();
  void [ok, clock, list, exit, viaContainer];
}
