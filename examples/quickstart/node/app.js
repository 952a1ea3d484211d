// idenfy-mock quickstart: create a dummy token, receive and verify its webhook.
// Node.js standard library only. Exits 0 once a signed webhook has been verified.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');

const BASE_URL = (process.env.IDENFY_MOCK_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const API_KEY = process.env.IDENFY_API_KEY || 'idenfy-mock-key';
const API_SECRET = process.env.IDENFY_API_SECRET || 'idenfy-mock-secret';
const SIGNING_KEY = process.env.IDENFY_SIGNING_KEY || 'idenfy-mock-signing-key';

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

function signatureOk(body, signature) {
  const expected = Buffer.from(crypto.createHmac('sha256', SIGNING_KEY).update(body).digest('hex'));
  const given = Buffer.from(signature || '');
  return given.length === expected.length && crypto.timingSafeEqual(expected, given);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const ok = signatureOk(body, req.headers['idenfy-signature']);
    res.writeHead(ok ? 200 : 401).end();
    const event = req.headers['idenfy-event-type'] || '?';
    if (!ok) fail(`${event} webhook with a bad Idenfy-Signature`);
    const result = JSON.parse(body);
    console.log(`${event} scanRef=${result.scanRef} overall=${result.status.overall} signature valid`);
    server.close();
    process.exit(0);
  });
});

server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  setTimeout(() => fail('no webhook within 20 s'), 20000).unref();
  let response;
  try {
    response = await fetch(`${BASE_URL}/api/v2/token`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: 'Basic ' + Buffer.from(`${API_KEY}:${API_SECRET}`).toString('base64'),
      },
      body: JSON.stringify({
        clientId: 'quickstart-node',
        dummyStatus: 'APPROVED',
        callbackUrl: `http://127.0.0.1:${port}/webhook`,
      }),
    });
  } catch (error) {
    fail(`cannot reach ${BASE_URL}: ${error.cause || error}`);
  }
  if (response.status !== 201) {
    fail(`POST /api/v2/token answered ${response.status}: ${await response.text()}`);
  }
});
