import { hmac, signatureDigestId } from '../core/crypto.js';
import { WebhookVerificationError } from '../core/errors/index.js';
import { headerMalformed, headerRepeated } from '../core/errors/webhook.messages.js';
import { prepareSharedSecrets, signingKey, verifyHmacCandidates, type HmacScheme } from '../core/hmac-signature.js';
import { textFieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { parseKeyValueList, type KeyValueList } from '../core/key-value-list.js';
import { assertWithinWindow, parseEpochSeconds } from '../core/timestamp.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'paddle-signature';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'hex' };
/** Paddle's SDK accepts a delivery at most 5 s after its `ts` (`WebhooksValidator.MAX_VALID_TIME_DIFFERENCE`). */
const PADDLE_TOLERANCE_SECONDS = 5;

/**
 * Paddle Billing: `Paddle-Signature` is `ts=<unix seconds>;h1=<hex>[;h1=<hex>…]`, each `h1`
 * the hex HMAC-SHA256 of `<ts>:<body>` keyed with the notification destination's secret key
 * (its UTF-8 bytes, as is). Any `h1` may match (Paddle's own SDK reads only the last one:
 * checking each is as strict, and lets a rotation's two signatures both work). The body's
 * `event_id` is the delivery id and its `event_type` the event, read only when asked for.
 * The window is 5 s and refuses only old timestamps, as Paddle's SDK does.
 */
export const paddleProvider: WebhookProvider<Buffer[]> = {
  name: 'paddle',
  sensitiveHeaders: [SIGNATURE_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  defaultToleranceSeconds: PADDLE_TOLERANCE_SECONDS,
  summary: {
    sender: 'Paddle',
    secret: 'endpoint secret key (`pdl_ntfset_...`)',
    signatureHeader: '`Paddle-Signature: ts=<unix>;h1=<hex>[;h1=<hex>...]`',
    signedContent: '`<ts>:<body>`',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId: 'body `event_id` (`evt_...`), else digest',
    event: 'body `event_type`',
    timestamp: "`ts`, seconds (5 s, as Paddle's SDK; only old timestamps are refused)",
    handshake: 'none',
    checkedAgainst:
      '`@paddle/paddle-node-sdk` (`webhooks.isSignatureValid`, i.e. `WebhooksValidator`) and its test vectors',
  },
  examples: [
    {
      event: 'subscription.activated',
      payload: {
        event_id: 'evt_01j0kq9b4m5n6p7q8r9s0t1v2w',
        event_type: 'subscription.activated',
        occurred_at: '2024-06-10T12:21:54.361248Z',
        notification_id: 'ntf_01j0kq9b6c7d8e9f0g1h2j3k4m',
        data: {
          id: 'sub_01j0kq98zx3y4w5v6t7s8r9q0p',
          status: 'active',
          customer_id: 'ctm_01j0kq7n2p3q4r5s6t7v8w9x0y',
          currency_code: 'EUR',
          billing_cycle: { interval: 'month', frequency: 1 },
          items: [{ status: 'active', quantity: 1, price: { id: 'pri_01hv0vax6rv18t4tamj848ne4d' } }],
        },
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'paddle'),

  verify(delivery, keys, policy) {
    const header = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    // Paddle writes no commas: one means the header was sent twice and Node joined the copies.
    if (header.includes(','))
      throw new WebhookVerificationError('malformed_signature', headerRepeated(SIGNATURE_HEADER));
    const entries = parseKeyValueList(header, ';');
    const ts = onlyTimestamp(entries);
    const timestamp = parseEpochSeconds(ts, SIGNATURE_HEADER);
    assertWithinWindow(timestamp, policy, { pastOnly: true });
    const signature = verifyHmacCandidates({
      header: SIGNATURE_HEADER,
      candidates: entries.all('h1'),
      scheme: SCHEME,
      keys,
      signedParts: [ts, ':', delivery.rawBody],
    });
    // From the body only when asked for: verifying a large body does not parse it.
    return lazyVerifiedWebhook(FROM_BODY, { delivery, signature }, { timestamp });
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const ts = String(Math.floor(input.timestamp.getTime() / 1000));
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'paddle'), ts, ':', input.payload).toString('hex');
    return {
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: `ts=${ts};h1=${signature}` },
      body: input.payload,
    };
  },
};

/** The one `ts` entry: without it nothing says what was signed; with two, which one was is ambiguous. */
function onlyTimestamp(entries: KeyValueList): string {
  const all = entries.all('ts');
  if (all.length !== 1) {
    const problem = all.length === 0 ? 'has no "ts=" timestamp' : 'has more than one "ts=" timestamp';
    throw new WebhookVerificationError('malformed_signature', headerMalformed(SIGNATURE_HEADER, problem));
  }
  return all[0]!;
}

/** The id (else the signature's digest) and the event type, read from the body on first access. */
const FROM_BODY: LazyWebhookFields<{ readonly delivery: IncomingWebhook; readonly signature: Buffer }> = {
  deliveryId: ({ delivery, signature }) => textFieldOf(delivery.json(), 'event_id') ?? signatureDigestId(signature),
  event: ({ delivery }) => textFieldOf(delivery.json(), 'event_type'),
};
