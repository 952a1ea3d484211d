// idenfy-mock's container image under Testcontainers (`npm install --save-dev
// testcontainers`): an entry point of its own (`idenfy-mock/testcontainers`),
// so the main one needs nothing but Node.
"use strict";

let tc;
try {
  tc = require("testcontainers");
} catch (err) {
  const e = new Error(
    `idenfy-mock/testcontainers needs the testcontainers package (npm install --save-dev testcontainers): ${err.message}`,
  );
  e.code = "IDENFY_MOCK_NO_TESTCONTAINERS";
  throw e;
}
const { DEFAULT_API_KEY, DEFAULT_API_SECRET, DEFAULT_SIGNING_KEY, IdenfyMockClient } = require("./index.js");

const PORT = 8080;
// The image also EXPOSEs 443 (the HTTPS listener of --drop-in). podman's
// Docker API lists every EXPOSEd port in HostConfig.PortBindings, bound or
// not, and Testcontainers for Node waits until each listed port is bound:
// with 8080 alone it times out under podman. Publishing 443 too (to a free
// host port; nothing listens there unless TLS is on) satisfies it
// everywhere.
const TLS_PORT = 443;

/**
 * Starts the idenfy-mock image with ports 8080 and 443 published, the default partner's
 * credentials set and a wait on /_mock/health; resolves to the started
 * container with `url` and `client` (an IdenfyMockClient at the mapped port).
 */
async function startIdenfyMockContainer(options = {}) {
  const image = options.image || process.env.IDENFY_MOCK_IMAGE || "idenfy-mock:latest";
  const apiKey = options.apiKey ?? DEFAULT_API_KEY;
  const apiSecret = options.apiSecret ?? DEFAULT_API_SECRET;
  const signingKey = options.signingKey ?? DEFAULT_SIGNING_KEY;
  const adminToken = options.adminToken ?? null;
  const env = {
    IDENFY_MOCK_API_KEY: apiKey,
    IDENFY_MOCK_API_SECRET: apiSecret,
    IDENFY_MOCK_SIGNING_KEY: signingKey,
    ...(adminToken ? { IDENFY_MOCK_ADMIN_TOKEN: adminToken } : {}),
    ...(options.webhookUrl ? { IDENFY_MOCK_WEBHOOK_URL: options.webhookUrl } : {}),
    ...(options.env || {}),
  };
  let container = new tc.GenericContainer(image)
    .withExposedPorts(PORT, TLS_PORT)
    .withEnvironment(env)
    .withWaitStrategy(tc.Wait.forHttp("/_mock/health", PORT).forStatusCode(200))
    .withStartupTimeout(options.startupTimeoutMs ?? 60000);
  if (options.customize) container = options.customize(container) || container;
  const started = await container.start();
  let host = started.getHost();
  if (host.includes(":") && !host.startsWith("[")) host = `[${host}]`;
  const url = `http://${host}:${started.getMappedPort(PORT)}`;
  const client = new IdenfyMockClient({ url, apiKey, apiSecret, signingKey, adminToken });
  return {
    container: started,
    url,
    client,
    apiKey,
    apiSecret,
    signingKey,
    stop: () => started.stop(),
  };
}

module.exports = { PORT, startIdenfyMockContainer };
