import { hmac, signatureDigestId } from '../core/crypto.js';
import { WebhookConfigurationError } from '../core/errors/index.js';
import { urlRequired } from '../core/errors/webhook.messages.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import { textFieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'x-square-hmacsha256-signature';
/** Square's retired HMAC-SHA1 signature, still sent by old subscriptions: never logged, never checked. */
const LEGACY_SIGNATURE_HEADER = 'x-square-signature';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'base64' };

/**
 * Square: `X-Square-Hmacsha256-Signature` is the base64 HMAC-SHA256, keyed with the
 * subscription's signature key, of the notification URL (exactly as registered with Square)
 * followed by the body. The body's `event_id` is the delivery id (a digest of the signature
 * when a body has none) and its `type` the event type, both read only when asked for.
 * Square signs no timestamp, so there is no replay window.
 */
export const squareProvider: WebhookProvider<Buffer[]> = {
  name: 'square',
  sensitiveHeaders: [SIGNATURE_HEADER, LEGACY_SIGNATURE_HEADER],
  senderHeaders: [
    'square-version',
    'square-environment',
    'square-retry-number',
    'square-retry-reason',
    'square-initial-delivery-timestamp',
  ],
  methods: ['POST'],
  contentType: 'application/json',
  signsUrl: true,
  summary: {
    sender: 'Square',
    secret: 'signature key of the webhook subscription',
    signatureHeader: '`X-Square-Hmacsha256-Signature` (base64)',
    signedContent: 'notification URL + body',
    algorithm: 'HMAC-SHA256, base64',
    deliveryId: 'body `event_id` (digest of the signature when absent)',
    event: 'body `type`',
    timestamp: 'none (Square signs no timestamp)',
    handshake: 'none',
    checkedAgainst:
      "`square`'s `WebhooksHelper.verifySignature` (what `signWebhook` writes passes it), and the test vectors of Square's SDKs",
  },
  examples: [
    {
      event: 'payment.updated',
      payload: {
        merchant_id: '6SSW7HV8K2ST5',
        type: 'payment.updated',
        event_id: '13b867cf-db3d-4b1c-90b6-2f32a9d78124',
        created_at: '2024-05-01T12:00:00.123Z',
        data: {
          type: 'payment',
          id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY',
          object: {
            payment: {
              id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY',
              amount_money: { amount: 4200, currency: 'EUR' },
              status: 'COMPLETED',
              source_type: 'CARD',
              location_id: 'L88917AVBK2S5',
              version: 3,
            },
          },
        },
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'square'),

  verify(delivery, keys) {
    const url = delivery.url;
    if (!url) throw new WebhookConfigurationError(urlRequired('square'));
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const signature = verifyHmacSignature(received, SIGNATURE_HEADER, SCHEME, keys, [url, delivery.rawBody]);
    // Read from the body only when asked for: verifying a large body need not parse it.
    return lazyVerifiedWebhook(FROM_BODY, { delivery, signature });
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    if (!input.url) throw new WebhookConfigurationError(urlRequired('square'));
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'square'), input.url, input.payload);
    return {
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature.toString('base64') },
      body: input.payload,
    };
  },
};

/** The id (else the signature's digest) and the event type, read from the body on first access. */
const FROM_BODY: LazyWebhookFields<{ readonly delivery: IncomingWebhook; readonly signature: Buffer }> = {
  deliveryId: ({ delivery, signature }) => textFieldOf(delivery.json(), 'event_id') ?? signatureDigestId(signature),
  event: ({ delivery }) => textFieldOf(delivery.json(), 'type'),
};
