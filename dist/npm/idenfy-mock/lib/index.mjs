// The ES module face of index.js (one implementation, so `import` and
// `require` share one module instance).
import cjs from "./index.js";

export const {
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
} = cjs;
export default cjs;
