import { randomBytes } from 'node:crypto';
import { hmac, signatureDigestId } from '../core/crypto.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import { textFieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'x-razorpay-signature';
const EVENT_ID_HEADER = 'x-razorpay-event-id';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'hex' };
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Razorpay: `X-Razorpay-Signature` is the hex HMAC-SHA256 of the raw body, keyed with the
 * webhook secret. `X-Razorpay-Event-Id` is the delivery id (the same on every retry; a digest
 * of the signature when it is absent) and the body's `event` (`payment.captured`, …) the
 * event, read only when asked for. Razorpay signs no timestamp, so there is no replay window.
 */
export const razorpayProvider: WebhookProvider<Buffer[]> = {
  name: 'razorpay',
  sensitiveHeaders: [SIGNATURE_HEADER],
  senderHeaders: [EVENT_ID_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Razorpay',
    secret: 'webhook secret',
    signatureHeader: '`X-Razorpay-Signature` (hex)',
    signedContent: 'body',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId: '`X-Razorpay-Event-Id` (not signed), else digest',
    event: 'body `event`',
    timestamp: 'none (Razorpay signs no timestamp)',
    handshake: 'none',
    checkedAgainst: '`razorpay` (`validateWebhookSignature`) and its test vector',
  },
  examples: [
    {
      event: 'payment.captured',
      payload: {
        entity: 'event',
        account_id: 'acc_BFQ7uQEaa7j2z7',
        event: 'payment.captured',
        contains: ['payment'],
        payload: {
          payment: {
            entity: {
              id: 'pay_OXkqwT1sZb3Lm9',
              entity: 'payment',
              amount: 249900,
              currency: 'INR',
              status: 'captured',
              order_id: 'order_OXkqJ8vR2nQ5Tw',
              method: 'upi',
              captured: true,
              email: 'priya.r@example.com',
              created_at: 1718200990,
            },
          },
        },
        created_at: 1718201007,
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'razorpay'),

  verify(delivery, keys) {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const eventId = delivery.headers.single(EVENT_ID_HEADER, 'malformed_signature');
    const signature = verifyHmacSignature(received, SIGNATURE_HEADER, SCHEME, keys, [delivery.rawBody]);
    // The event from the body only when asked for: verifying a large body does not parse it.
    return lazyVerifiedWebhook(EVENT_FROM_BODY, delivery, { deliveryId: eventId ?? signatureDigestId(signature) });
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'razorpay'), input.payload).toString('hex');
    return {
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signature,
        [EVENT_ID_HEADER]: input.id ?? eventId(),
      },
      body: input.payload,
    };
  },
};

/** An id shaped like Razorpay's: 14 base62 characters (`KOibmeRlI2Mqu9`). */
function eventId(): string {
  return Array.from(randomBytes(14), (byte) => BASE62[byte % BASE62.length]).join('');
}

/** The event type, read from the body on first access. */
const EVENT_FROM_BODY: LazyWebhookFields<IncomingWebhook> = {
  event: (delivery) => textFieldOf(delivery.json(), 'event'),
};
