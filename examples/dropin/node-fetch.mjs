// Drop-in recipe, Node.js 18+ built-in fetch: an app that hard-codes
// https://ivs.idenfy.com, run unmodified against idenfy-mock. Node reads extra
// trusted CAs from NODE_EXTRA_CA_CERTS at start-up (set by whoever runs it; it
// also covers axios, got and node:https). Credentials from the environment.
//   NODE_EXTRA_CA_CERTS=/path/to/ca.pem IDENFY_API_KEY=… IDENFY_API_SECRET=… IDENFY_SIGNING_KEY=… node node-fetch.mjs
import crypto from 'node:crypto';

const BASE_URL = 'https://ivs.idenfy.com';
const { IDENFY_API_KEY, IDENFY_API_SECRET, IDENFY_SIGNING_KEY } = process.env;

function fail(message) {
  console.error(`FAIL: node: ${message}`);
  process.exit(1);
}

async function call(url, init) {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(15000), ...init });
  } catch (error) { // e.g. a CA that is not trusted: the cause says why
    fail(`cannot reach ${url}: ${error.cause?.code ?? ''} ${error.cause?.message ?? error.message}`);
  }
}

// 1. A dummy verification, as with iDenfy's DEV environment.
let response = await call(`${BASE_URL}/api/v2/token`, {
  method: 'POST',
  headers: {
    'Content-Type': 'application/json',
    Authorization: 'Basic ' + Buffer.from(`${IDENFY_API_KEY}:${IDENFY_API_SECRET}`).toString('base64'),
  },
  body: JSON.stringify({ clientId: 'dropin-node', dummyStatus: 'APPROVED' }),
});
if (response.status !== 201) fail(`POST /api/v2/token answered ${response.status}: ${await response.text()}`);
const token = await response.json();
if (token.redirectUrl !== `${BASE_URL}/api/v2/redirect?authToken=${token.authToken}`) {
  fail(`redirectUrl is ${token.redirectUrl}`);
}

// 2. redirectUrl leads to the verification page (fetch follows it). A dummy
//    token's verification is already finished: 410 says so; without dummyStatus, 200.
const page = await call(token.redirectUrl);
if (![200, 410].includes(page.status) || !page.headers.get('content-type')?.startsWith('text/html')) {
  fail(`the page answered ${page.status} ${page.headers.get('content-type')} (${page.url})`);
}
if (!/^https:\/\/(ivs|ui)\.idenfy\.com\//.test(page.url)) fail(`the redirect left iDenfy's hosts: ${page.url}`);

// 3. The result webhook, from the mock's journal: its exact body text and headers.
response = await call(`${BASE_URL}/_mock/webhooks/wait?scanRef=${token.scanRef}&timeoutMs=10000`);
if (response.status !== 200) fail(`no webhook for ${token.scanRef}: ${response.status}`);
const record = await response.json();
const raw = Buffer.from(record.body, 'utf8'); // the bytes that were signed: verify these, not re-serialised JSON
const given = Buffer.from(record.headers.find(([name]) => name.toLowerCase() === 'idenfy-signature')?.[1] ?? '');
const expected = Buffer.from(crypto.createHmac('sha256', IDENFY_SIGNING_KEY).update(raw).digest('hex'));
if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
  fail(`${record.event} webhook with a bad Idenfy-Signature`);
}
console.log(`ok: node: token 201, redirectUrl in iDenfy's form, page ${page.status} text/html, ${record.event} signature valid`);
