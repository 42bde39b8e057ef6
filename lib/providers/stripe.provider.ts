import {
  assertWithinWindow,
  hmac,
  lazyVerifiedWebhook,
  parseEpochSeconds,
  parseKeyValueList,
  parseWebhookBody,
  prepareSharedSecrets,
  signatureDigestId,
  signingKey,
  textFieldOf,
  verifyHmacCandidates,
  WebhookVerificationError,
  type HmacScheme,
  type IncomingWebhook,
  type KeyValueList,
  type LazyWebhookFields,
  type WebhookProvider,
} from '../core/index.js';
import { headerMalformed } from '../core/errors/webhook.messages.js';

const SIGNATURE_HEADER = 'stripe-signature';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'hex' };

/**
 * Stripe: `Stripe-Signature` is `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, each `v1` the hex
 * HMAC-SHA256 of `<t>.<body>` keyed with the endpoint secret's UTF-8 bytes: the whole
 * `whsec_…` string, not base64-decoded. Any `v1` may match (Stripe signs with both secrets
 * while one is rolled); other schemes (`v0`) are ignored. The window (300 s) refuses only old
 * timestamps, as Stripe's SDK does. The body's `id` (`evt_…`) is the delivery id (a digest of
 * the signature for a body without one) and its `type` the event, read only when asked for.
 */
export const stripeProvider: WebhookProvider<Buffer[]> = {
  name: 'stripe',
  sensitiveHeaders: [SIGNATURE_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Stripe',
    secret: 'endpoint secret `whsec_...`, used as is (not base64-decoded)',
    signatureHeader: '`Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`; other schemes ignored',
    signedContent: '`<t>.<body>`',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId: 'body `id` (`evt_...`), else digest',
    event: 'body `type`',
    timestamp: '`t`, seconds (300 s; only old timestamps are refused, as Stripe does)',
    handshake: 'none',
    checkedAgainst: '`stripe` (`webhooks.generateTestHeaderString`, `webhooks.constructEvent`), both directions',
  },
  examples: [
    {
      event: 'checkout.session.completed',
      // As Stripe posts it: pretty-printed, with a trailing newline.
      payload: `{
  "id": "evt_1PQxTkLkdIwHu7ixbR4sNq2E",
  "object": "event",
  "api_version": "2024-06-20",
  "created": 1718022114,
  "data": {
    "object": {
      "id": "cs_test_a1Gm3bQ9Lx7vT2kP8nR5sW0yH4jD6fC3eZ1uN9oI2qK5",
      "object": "checkout.session",
      "amount_total": 4900,
      "currency": "eur",
      "customer": "cus_QH2mXc9LpT4nZ8",
      "mode": "subscription",
      "payment_status": "paid",
      "status": "complete"
    }
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": { "id": null, "idempotency_key": null },
  "type": "checkout.session.completed"
}
`,
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'stripe'),

  verify(delivery, keys, policy) {
    const header = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const entries = parseKeyValueList(header, ',');
    const t = onlyTimestamp(entries);
    const timestamp = parseEpochSeconds(t, SIGNATURE_HEADER);
    // Stripe's own `constructEvent` refuses only timestamps that are too old.
    assertWithinWindow(timestamp, policy, { pastOnly: true });
    const signature = verifyHmacCandidates({
      header: SIGNATURE_HEADER,
      candidates: entries.all('v1'),
      scheme: SCHEME,
      keys,
      signedParts: [t, '.', delivery.rawBody],
    });
    // From the body only when asked for: verifying a large body does not parse it.
    return lazyVerifiedWebhook(FROM_BODY, { delivery, signature }, { timestamp });
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const t = String(Math.floor(input.timestamp.getTime() / 1000));
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'stripe'), t, '.', input.payload).toString('hex');
    return {
      headers: { 'content-type': 'application/json; charset=utf-8', [SIGNATURE_HEADER]: `t=${t},v1=${signature}` },
      body: input.payload,
    };
  },
};

/** The id and type, read from the body on first access. */
const FROM_BODY: LazyWebhookFields<{ readonly delivery: IncomingWebhook; readonly signature: Buffer }> = {
  deliveryId: ({ delivery, signature }) => textFieldOf(delivery.json(), 'id') ?? signatureDigestId(signature),
  event: ({ delivery }) => textFieldOf(delivery.json(), 'type'),
};

/**
 * The one `t` entry. Without it nothing says what was signed; with two (a header sent twice
 * arrives joined by a comma) it is ambiguous which one was.
 */
function onlyTimestamp(entries: KeyValueList): string {
  const all = entries.all('t');
  if (all.length !== 1) {
    const problem = all.length === 0 ? 'has no "t=" timestamp' : 'has more than one "t=" timestamp';
    throw new WebhookVerificationError('malformed_signature', headerMalformed(SIGNATURE_HEADER, problem));
  }
  return all[0]!;
}
