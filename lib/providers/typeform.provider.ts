import { hmac, signatureDigestId } from '../core/crypto.js';
import { WebhookVerificationError } from '../core/errors/index.js';
import { algorithmRefused, headerMalformed } from '../core/errors/webhook.messages.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import { textFieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'typeform-signature';
const PREFIX = 'sha256=';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'base64' };

/**
 * Typeform: `Typeform-Signature` is `sha256=` followed by the base64 HMAC-SHA256 of the raw
 * body under the webhook's secret. The body's `event_id` is the delivery id (else the
 * signature's digest) and its `event_type` (`form_response`, …) the event; both are read
 * only when asked. Typeform sends no timestamp, so there is no replay window.
 */
export const typeformProvider: WebhookProvider<Buffer[]> = {
  name: 'typeform',
  sensitiveHeaders: [SIGNATURE_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Typeform',
    secret: 'webhook secret',
    signatureHeader: '`Typeform-Signature: sha256=<base64>`',
    signedContent: 'body',
    algorithm: 'HMAC-SHA256, base64',
    deliveryId: 'body `event_id`, else digest',
    event: 'body `event_type`',
    timestamp: 'none (Typeform sends no timestamp)',
    handshake: 'none',
    checkedAgainst:
      'the Node.js check of Typeform\'s "Secure your webhooks" (`verifySignature`), run as written; Typeform has no SDK',
  },
  examples: [
    {
      event: 'form_response',
      payload: {
        event_id: '01HXA4T1V6Q3W7N5YJ2M8K0RBC',
        event_type: 'form_response',
        form_response: {
          form_id: 'lT4Z3j',
          token: 'a3a12ec67a1365927098a606107fac15',
          landed_at: '2024-05-06T12:50:02Z',
          submitted_at: '2024-05-06T12:53:20Z',
          definition: {
            id: 'lT4Z3j',
            title: 'Webhooks example',
            fields: [
              { id: 'SMEUb7VJz92Q', title: 'How likely are you to recommend us?', type: 'opinion_scale', ref: 'nps' },
            ],
          },
          answers: [{ type: 'number', number: 9, field: { id: 'SMEUb7VJz92Q', type: 'opinion_scale', ref: 'nps' } }],
        },
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'typeform'),

  verify(delivery, keys) {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const signature = verifyHmacSignature(signatureBase64(received), SIGNATURE_HEADER, SCHEME, keys, [
      delivery.rawBody,
    ]);
    // Read from the body only when asked for: verifying a large body need not parse it.
    return lazyVerifiedWebhook(FROM_BODY, { delivery, signature });
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'typeform'), input.payload).toString('base64');
    return {
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: `${PREFIX}${signature}` },
      body: input.payload,
    };
  },
};

/** The base64 after `sha256=`; another algorithm's name is refused as such, anything else is malformed. */
function signatureBase64(received: string): string {
  if (received.startsWith(PREFIX)) return received.slice(PREFIX.length);
  const name = received.slice(0, Math.max(received.indexOf('='), 0));
  // `sha1=…` names another algorithm; `SHA256=…` (the docs compare the exact text) is malformed.
  if (/^[A-Za-z0-9-]{1,16}$/.test(name) && name.toLowerCase() !== 'sha256') {
    throw new WebhookVerificationError('unsupported_algorithm', algorithmRefused(SIGNATURE_HEADER, ['sha256']));
  }
  throw new WebhookVerificationError(
    'malformed_signature',
    headerMalformed(SIGNATURE_HEADER, `must start with "${PREFIX}"`),
  );
}

/** The id (else the signature's digest) and the event type, read from the body on first access. */
const FROM_BODY: LazyWebhookFields<{ readonly delivery: IncomingWebhook; readonly signature: Buffer }> = {
  deliveryId: ({ delivery, signature }) => textFieldOf(delivery.json(), 'event_id') ?? signatureDigestId(signature),
  event: ({ delivery }) => textFieldOf(delivery.json(), 'event_type'),
};
