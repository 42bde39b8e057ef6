import { randomBytes } from 'node:crypto';
import { bodyDigestId, hmac } from '../core/crypto.js';
import { WebhookConfigurationError, WebhookVerificationError } from '../core/errors/index.js';
import { fieldMissing, providerCannot } from '../core/errors/webhook.messages.js';
import { prepareSharedSecrets, signingKey, verifyHmacCandidates, type HmacScheme } from '../core/hmac-signature.js';
import { fieldOf, textFieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { assertWithinWindow, parseEpochSeconds } from '../core/timestamp.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { VerificationPolicy, WebhookProvider } from '../core/webhook-provider.js';

const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'hex' };
/** Where the signature sits, named as messages name it. */
const SIGNATURE_FIELD = 'signature.signature';
const TIMESTAMP_FIELD = 'signature.timestamp';
const SIGNATURE_OBJECT = '`signature` object';
/** Mailgun's tokens are 50 random characters. */
const TOKEN_BYTES = 25;

/**
 * Mailgun: the JSON body carries `signature: { timestamp, token, signature }`, where
 * `signature` is the hex HMAC-SHA256, keyed with the HTTP webhook signing key, of
 * `timestamp` followed by `token`. For a subaccount's domain the object also carries
 * `parent-signature`, the same HMAC under the primary account's key (Mailgun's
 * documentation): either may match a configured key.
 *
 * **The rest of the body is not signed**: `event-data` (the event, the message, the
 * recipient) is not covered, so anyone who sees one delivery can send other `event-data`
 * under its signature until its timestamp leaves the window (300 s, either side). The
 * window on `signature.timestamp` (seconds) is what limits that; Mailgun also suggests
 * remembering each `token` and refusing it a second time. `event-data.id` is the delivery
 * id and `event-data.event` the event type; both come from the unsigned part.
 *
 * Without `event-data.id`, the id is a digest of the body without its `signature` object
 * (written again as JSON), worked out when first read. Nothing signed can serve: a retry
 * comes with a new `timestamp` and `token` (it must, to pass the window), so a digest of the
 * signature would make every retry a new delivery. The rest of the body is what Mailgun
 * sends again unchanged, and its event data carries the event's own `timestamp` (to the
 * microsecond) and message, so two distinct events do not share it. That part is not signed,
 * but neither is `event-data.id`: whoever can send other event data under a captured
 * signature can already choose any id, so this gives a forger nothing new.
 *
 * A body that is not JSON is a malformed signature; one without its `signature` object or
 * `signature.signature` a missing one.
 */
export const mailgunProvider: WebhookProvider<Buffer[]> = {
  name: 'mailgun',
  sensitiveHeaders: [],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Mailgun',
    secret: 'HTTP webhook signing key',
    signatureHeader: 'none: body `signature.signature` (hex), or `signature.parent-signature` for subaccounts',
    signedContent: '`signature.timestamp` + `signature.token`; **the rest of the body is not signed**',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId:
      'body `event-data.id` (not signed); when absent, digest of the body without its `signature` object (not signed either)',
    event: 'body `event-data.event` (not signed)',
    timestamp: 'body `signature.timestamp`, seconds (300 s)',
    handshake: 'none',
    checkedAgainst:
      "the Node.js verification snippet of Mailgun's documentation (Securing Webhooks), both directions; Mailgun publishes no SDK check",
  },
  examples: [
    {
      event: 'delivered',
      // Without its `signature` object: `sign` puts one in.
      payload: {
        'event-data': {
          id: 'CPgfbmQMTCKtHW6uIWtuVe',
          timestamp: 1714564799.812345,
          'log-level': 'info',
          event: 'delivered',
          'delivery-status': { tls: true, code: 250, message: 'OK', 'attempt-no': 1 },
          envelope: { transport: 'smtp', sender: 'bob@mg.example.com', targets: 'joao@example.com' },
          message: {
            headers: {
              to: 'João Silva <joao@example.com>',
              'message-id': '20240501120000.1.5F3C2A1B0D9E8F7A@mg.example.com',
              from: 'Bob <bob@mg.example.com>',
              subject: 'Your order #1042',
            },
          },
          recipient: 'joao@example.com',
          tags: ['welcome'],
        },
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'mailgun'),

  verify(delivery, keys, policy) {
    const block = signatureBlock(delivery);
    const candidates = signatureCandidates(block);
    const { timestampText, timestamp } = readTimestamp(block, policy);
    const token = fieldOf(block, 'token');
    if (typeof token !== 'string' || token === '') {
      throw new WebhookVerificationError('malformed_signature', fieldMissing(SIGNATURE_OBJECT, '`token`'));
    }
    verifyHmacCandidates({
      header: SIGNATURE_FIELD,
      candidates,
      scheme: SCHEME,
      keys,
      signedParts: [timestampText, token],
    });
    const eventData = fieldOf(delivery.json(), 'event-data');
    const id = textFieldOf(eventData, 'id');
    const event = textFieldOf(eventData, 'event');
    if (id !== undefined) return { deliveryId: id, event, timestamp };
    return lazyVerifiedWebhook(UNSIGNED_PART_ID, { delivery, id: undefined }, { event, timestamp });
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const body = jsonObjectOf(input.payload);
    const timestamp = String(Math.floor(input.timestamp.getTime() / 1000));
    const token = randomBytes(TOKEN_BYTES).toString('hex');
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'mailgun'), timestamp, token).toString('hex');
    const rest: Record<string, unknown> = { ...body };
    delete rest.signature;
    if (input.id !== undefined || input.event !== undefined) {
      const eventData = fieldOf(body, 'event-data');
      rest['event-data'] = {
        ...(typeof eventData === 'object' && eventData !== null ? eventData : {}),
        ...(input.id === undefined ? {} : { id: input.id }),
        ...(input.event === undefined ? {} : { event: input.event }),
      };
    }
    return {
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ signature: { token, timestamp, signature }, ...rest }), 'utf8'),
    };
  },
};

/** The body's `signature` object: malformed when the body is no JSON object, missing when it has none. */
function signatureBlock(delivery: IncomingWebhook): Record<string, unknown> {
  const body = delivery.json();
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new WebhookVerificationError('malformed_signature', fieldMissing('body', 'JSON object'));
  }
  const block = fieldOf(body, 'signature');
  if (typeof block !== 'object' || block === null || Array.isArray(block)) {
    throw new WebhookVerificationError('missing_signature', fieldMissing('body', SIGNATURE_OBJECT));
  }
  return block as Record<string, unknown>;
}

/** `signature.timestamp` (a string of digits, or an integer) as signed, and as a time inside the window. */
function readTimestamp(block: Record<string, unknown>, policy: VerificationPolicy) {
  const raw = fieldOf(block, 'timestamp');
  if (raw === undefined || raw === '' || raw === null) {
    throw new WebhookVerificationError('missing_timestamp', fieldMissing(SIGNATURE_OBJECT, '`timestamp`'));
  }
  const timestampText = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
  const timestamp = parseEpochSeconds(timestampText, TIMESTAMP_FIELD);
  assertWithinWindow(timestamp, policy);
  return { timestampText, timestamp };
}

/** `signature` and, for a subaccount, `parent-signature`: the strings among them. */
function signatureCandidates(block: Record<string, unknown>): string[] {
  const own = fieldOf(block, 'signature');
  if (own === undefined || own === null || own === '') {
    throw new WebhookVerificationError('missing_signature', fieldMissing(SIGNATURE_OBJECT, '`signature`'));
  }
  const parent = fieldOf(block, 'parent-signature');
  return [own, parent].filter((candidate): candidate is string => typeof candidate === 'string');
}

function jsonObjectOf(payload: Buffer): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    body = undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new WebhookConfigurationError(
      providerCannot('mailgun', 'signs only a JSON object body: the signature goes inside it'),
    );
  }
  return body as Record<string, unknown>;
}

/**
 * The id of a delivery without `event-data.id`: the digest of the body without its
 * `signature` object (which changes on every retry), written again as JSON; hashed once.
 */
const UNSIGNED_PART_ID: LazyWebhookFields<{ readonly delivery: IncomingWebhook; id: string | undefined }> = {
  deliveryId: (state) => (state.id ??= bodyDigestId(JSON.stringify(withoutSignature(state.delivery)))),
};

function withoutSignature(delivery: IncomingWebhook): Record<string, unknown> {
  // `verify` made sure the body is a JSON object.
  const body = delivery.json() as Record<string, unknown>;
  return Object.fromEntries(Object.entries(body).filter(([key]) => key !== 'signature'));
}
