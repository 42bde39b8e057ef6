import { hmac, signatureDigestId } from '../core/crypto.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'x-guuru-hmac-sha256';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'hex' };

/**
 * Guuru: `X-Guuru-Hmac-Sha256` is the lowercase hex HMAC-SHA256 of the raw body.
 * Guuru sends no timestamp (so no replay window) and no delivery id, so a digest of
 * the signature stands in for one.
 */
export const guuruProvider: WebhookProvider<Buffer[]> = {
  name: 'guuru',
  sensitiveHeaders: [SIGNATURE_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Guuru',
    secret: 'partner secret',
    signatureHeader: '`X-Guuru-Hmac-Sha256` (hex)',
    signedContent: 'body',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId: 'digest of the signature',
    event: 'none',
    timestamp: 'none (Guuru sends no timestamp)',
    handshake: 'none',
    checkedAgainst: "the three worked examples of Guuru's documentation",
  },
  examples: [
    {
      event: undefined,
      // Guuru's published Example 2, byte for byte (compact JSON, a non-ASCII name).
      payload:
        '{"user":{"name":"João","email":"","locale":"en"},"question":"Is shipping free for Portugal?","status":"rated","language":"en","transcriptURL":"https://chat.guuru.com/guuru-qa/transcripts/-LZu-ZrIBzpNHGswVFuP","rating":1,"category":"general","createdAt":1551456423860,"acceptedAt":1551456435840,"closedAt":1551456470489,"ratedAt":1551456472882}',
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'guuru'),

  verify(delivery, keys) {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const signature = verifyHmacSignature(received, SIGNATURE_HEADER, SCHEME, keys, [delivery.rawBody]);
    return { deliveryId: signatureDigestId(signature), event: undefined, timestamp: undefined };
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'guuru'), input.payload);
    return {
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature.toString('hex') },
      body: input.payload,
    };
  },
};
