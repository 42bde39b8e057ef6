import { hmac, signatureDigestId } from '../core/crypto.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import { fieldOf, textFieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'x-signature';
const EVENT_HEADER = 'x-event-name';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'hex' };

/**
 * Lemon Squeezy: `X-Signature` is the hex HMAC-SHA256 of the raw body, keyed with the
 * webhook's signing secret. No timestamp (so no replay window) and no delivery id: a digest
 * of the signature stands in. The event is the signed body's `meta.event_name`; the
 * `X-Event-Name` header says the same but is not signed, so it is used only for a body
 * without one (read only when asked for).
 */
export const lemonSqueezyProvider: WebhookProvider<Buffer[]> = {
  name: 'lemonsqueezy',
  sensitiveHeaders: [SIGNATURE_HEADER],
  senderHeaders: [EVENT_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Lemon Squeezy',
    secret: 'signing secret',
    signatureHeader: '`X-Signature` (hex)',
    signedContent: 'body',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId: 'digest of the signature (Lemon Squeezy sends no id)',
    event: 'body `meta.event_name` (signed), else `X-Event-Name` (not signed)',
    timestamp: 'none (Lemon Squeezy signs no timestamp)',
    handshake: 'none',
    checkedAgainst: 'no SDK: the Node.js check of Lemon Squeezy\'s "Signing requests" guide, run as written',
  },
  examples: [
    {
      event: 'order_created',
      // As PHP's json_encode writes it: compact, slashes escaped.
      payload:
        '{"meta":{"test_mode":true,"event_name":"order_created","custom_data":{"user_id":"42"}},' +
        '"data":{"type":"orders","id":"2811527","attributes":{"store_id":48211,"order_number":482111,' +
        '"user_name":"Zo\\u00eb Kr\\u00fcger","user_email":"zoe.kruger@example.com","currency":"EUR","total":3451,' +
        '"status":"paid","urls":{"receipt":"https:\\/\\/app.lemonsqueezy.com\\/my-orders\\/1f2e3d4c"},' +
        '"created_at":"2024-06-12T14:03:27.000000Z"}}}',
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'lemonsqueezy'),

  verify(delivery, keys) {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const eventHeader = delivery.headers.single(EVENT_HEADER, 'malformed_signature');
    const signature = verifyHmacSignature(received, SIGNATURE_HEADER, SCHEME, keys, [delivery.rawBody]);
    // The signed name wins: a replayed body cannot be routed as another event by rewriting
    // the header. Read from the body only when asked for.
    return lazyVerifiedWebhook(
      EVENT_FROM_BODY,
      { delivery, eventHeader },
      { deliveryId: signatureDigestId(signature) },
    );
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'lemonsqueezy'), input.payload).toString('hex');
    const headers: Record<string, string> = { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature };
    const event = input.event ?? eventNameOf(input.payload);
    if (event !== undefined) headers[EVENT_HEADER] = event;
    return { headers, body: input.payload };
  },
};

/** `meta.event_name` of a JSON payload, as Lemon Squeezy also writes it in `X-Event-Name`. */
function eventNameOf(payload: Buffer): string | undefined {
  try {
    return textFieldOf(fieldOf(JSON.parse(payload.toString('utf8')) as unknown, 'meta'), 'event_name');
  } catch {
    return undefined;
  }
}

/** The body's `meta.event_name`, else the `X-Event-Name` header, on first access. */
const EVENT_FROM_BODY: LazyWebhookFields<{
  readonly delivery: IncomingWebhook;
  readonly eventHeader: string | undefined;
}> = {
  event: ({ delivery, eventHeader }) => textFieldOf(fieldOf(delivery.json(), 'meta'), 'event_name') ?? eventHeader,
};
