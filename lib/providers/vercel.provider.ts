import { hmac, signatureDigestId } from '../core/crypto.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import { textFieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'x-vercel-signature';
/** Vercel signs with SHA-1 and nothing else; this preset is the only place that accepts it for this header. */
const SCHEME: HmacScheme = { algorithm: 'sha1', encoding: 'hex' };

/**
 * Vercel: `x-vercel-signature` is the lowercase hex HMAC-SHA1 of the raw body (no prefix)
 * under the webhook's secret (an integration's webhooks: its client secret). The event's
 * `id` is the delivery id and its `type` the event, read from the body only when asked
 * for; an event without an `id` falls back to a digest of the signature. Vercel sends no
 * timestamp outside the body, so there is no replay window.
 */
export const vercelProvider: WebhookProvider<Buffer[]> = {
  name: 'vercel',
  sensitiveHeaders: [SIGNATURE_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Vercel',
    secret: 'webhook secret (an integration: its client secret)',
    signatureHeader: '`x-vercel-signature` (hex)',
    signedContent: 'body',
    algorithm: 'HMAC-SHA1, hex',
    deliveryId: 'body `id`, else digest',
    event: 'body `type`',
    timestamp: 'none (no replay window)',
    handshake: 'none',
    checkedAgainst: "the verification snippet of Vercel's webhook documentation (no SDK verifies), both directions",
  },
  examples: [
    {
      event: 'deployment.succeeded',
      payload: {
        id: 'evt_Kq7z3XbT2mWn9RcV5dLp8YsH',
        type: 'deployment.succeeded',
        createdAt: 1714564800123,
        region: 'iad1',
        payload: {
          team: { id: 'team_9Fh2LkQw3ZxCv7Bn1Mp4Rt6Y' },
          deployment: {
            id: 'dpl_5vWq2Lk8Nm3Rx7Tz1Bc4Df6G',
            url: 'acme-web-3f9k2m1x7-acme.vercel.app',
            name: 'acme-web',
          },
          target: 'production',
          project: { id: 'prj_8Hn3Jk5Lm7Np9Qr2St4Uv6W' },
        },
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'vercel'),

  verify(delivery, keys) {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const signature = verifyHmacSignature(received, SIGNATURE_HEADER, SCHEME, keys, [delivery.rawBody]);
    // Read from the body only when asked for: verifying a large body need not parse it.
    return lazyVerifiedWebhook(FROM_BODY, { delivery, signature });
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'vercel'), input.payload).toString('hex');
    return { headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature }, body: input.payload };
  },
};

/** The id (else the signature's digest) and the event type, read from the body on first access. */
const FROM_BODY: LazyWebhookFields<{ readonly delivery: IncomingWebhook; readonly signature: Buffer }> = {
  deliveryId: ({ delivery, signature }) => textFieldOf(delivery.json(), 'id') ?? signatureDigestId(signature),
  event: ({ delivery }) => textFieldOf(delivery.json(), 'type'),
};
