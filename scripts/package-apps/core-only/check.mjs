// `nestjs-signed-webhooks/core` in a project where none of the peers is installed: it loads,
// verifies a Guuru delivery (one of the seed document's own examples), refuses a changed byte, and
// loaded no module of NestJS, class-validator, class-transformer, reflect-metadata or rxjs.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

const PEERS = ['@nestjs/common', '@nestjs/core', 'class-validator', 'class-transformer', 'reflect-metadata', 'rxjs'];
for (const peer of PEERS) {
  if (existsSync(new URL(`./node_modules/${peer}`, import.meta.url)))
    throw new Error(`${peer} is installed: --omit=peer did not apply`);
}

const core = await import('nestjs-signed-webhooks/core');
// Guuru's documented example 2: secret "secr3t", this body (with "João": the UTF-8 bytes matter), this signature.
const body = Buffer.from(
  '{"user":{"name":"João","email":"","locale":"en"},"question":"Is shipping free for Portugal?","status":"rated","language":"en","transcriptURL":"https://chat.guuru.com/guuru-qa/transcripts/-LZu-ZrIBzpNHGswVFuP","rating":1,"category":"general","createdAt":1551456423860,"acceptedAt":1551456435840,"closedAt":1551456470489,"ratedAt":1551456472882}',
);
const headers = { 'X-Guuru-Hmac-Sha256': 'e3671b73d2c6ef0c0a32cb07db50981ac1eab733632d3915d9a4bebd7454cbeb' };
const verified = core.verifyWebhook({ provider: 'guuru', secret: 'secr3t', headers, rawBody: body });
const tampered = Buffer.from(body);
tampered[10] ^= 1;
let refused;
try {
  core.verifyWebhook({ provider: 'guuru', secret: 'secr3t', headers, rawBody: tampered });
} catch (error) {
  refused = error instanceof core.WebhookVerificationError ? error.reason : String(error);
}

// CommonJS too: require() of the same ESM entry (Node 20.19+).
const required = createRequire(import.meta.url)('nestjs-signed-webhooks/core');

const loaded = Object.keys(createRequire(import.meta.url).cache ?? {}).filter((path) =>
  PEERS.some((peer) => path.includes(`/node_modules/${peer}/`)),
);
console.log(
  `core verified ${verified.deliveryId.length}-char digest id; tampered: ${refused}; require: ${typeof required.verifyWebhook}`,
);
if (refused !== 'invalid_signature') throw new Error('a changed byte was not refused as invalid_signature');
if (typeof required.verifyWebhook !== 'function') throw new Error('require() of the core entry failed');
if (loaded.length > 0) throw new Error(`peer modules were loaded: ${loaded.join(', ')}`);
console.log('CORE OK');
