import { randomUUID } from 'node:crypto';
import { hmac, signatureDigestId } from '../core/crypto.js';
import { WebhookVerificationError } from '../core/errors/index.js';
import { fieldMissing, timestampInvalid } from '../core/errors/webhook.messages.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import { fieldOf, textFieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { assertWithinWindow } from '../core/timestamp.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'linear-signature';
const ID_HEADER = 'linear-delivery';
const EVENT_HEADER = 'linear-event';
const TIMESTAMP_FIELD = 'webhookTimestamp';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'hex' };
/** Date's own range: ±8.64e15 ms around the epoch. */
const MAX_EPOCH_MS = 8.64e15;

/**
 * Linear: `Linear-Signature` is the hex HMAC-SHA256 of the raw body under the webhook's
 * signing secret. The only signed time is the body's `webhookTimestamp` (milliseconds),
 * which must be within 60 s of now either way, as `@linear/sdk`'s `LinearWebhookClient.verify`
 * requires. Reading it means parsing the body, done only after the signature matched and
 * shared with the handlers' payload; with the window off (0) the body is read only if asked.
 *
 * The delivery id is `Linear-Delivery` (not signed), else the signature's digest. The event
 * is the body's `type` (`Issue`, `Comment`, …): the Linear SDK's handler routes on it, and
 * unlike the `Linear-Event` header (same value, used only when the body has no `type`) it is
 * signed. `sign` adds `webhookTimestamp` to a JSON object body that has none, as Linear's
 * bodies always carry it.
 */
export const linearProvider: WebhookProvider<Buffer[]> = {
  name: 'linear',
  sensitiveHeaders: [SIGNATURE_HEADER],
  senderHeaders: [ID_HEADER, EVENT_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  defaultToleranceSeconds: 60,
  summary: {
    sender: 'Linear',
    secret: 'webhook signing secret',
    signatureHeader: '`Linear-Signature` (hex)',
    signedContent: 'body',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId: '`Linear-Delivery` (not signed), else digest',
    event: 'body `type` (signed; the SDK routes on it), else `Linear-Event`',
    timestamp: 'body `webhookTimestamp`, milliseconds (60 s either way, as the SDK)',
    handshake: 'none',
    checkedAgainst: '`@linear/sdk/webhooks` `LinearWebhookClient` `verify` and `parseData`',
  },
  examples: [
    {
      event: 'Issue',
      // Without `webhookTimestamp`: `sign` adds the send time, as Linear does.
      payload: {
        action: 'create',
        actor: { id: '2e6eea91-1111-4a2b-9486-acea0603064d', name: 'Jane Doe', type: 'user' },
        createdAt: '2024-05-06T12:53:20.000Z',
        data: {
          id: '5b1a0e6c-2f3d-4c8e-9a7b-6d5e4f3a2b1c',
          number: 1234,
          title: 'Checkout fails with a 500 on Safari',
          priority: 2,
          identifier: 'ENG-1234',
          state: { id: '3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f', name: 'Todo', type: 'unstarted' },
          team: { id: '72b2a2dc-6f4f-4423-9d34-24b5bd10634a', key: 'ENG', name: 'Engineering' },
        },
        url: 'https://linear.app/acme/issue/ENG-1234/checkout-fails-with-a-500-on-safari',
        type: 'Issue',
        organizationId: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
        webhookId: '0f1e2d3c-4b5a-4968-8776-655443322110',
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'linear'),

  verify(delivery, keys, policy) {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const id = delivery.headers.single(ID_HEADER, 'malformed_signature');
    const eventHeader = delivery.headers.single(EVENT_HEADER, 'malformed_signature');
    // Signature first, as the SDK does: an unsigned body is never parsed.
    const signature = verifyHmacSignature(received, SIGNATURE_HEADER, SCHEME, keys, [delivery.rawBody]);
    const windowed = policy.toleranceSeconds > 0;
    const timestamp = windowed ? requiredTimestamp(delivery) : undefined;
    if (timestamp) assertWithinWindow(timestamp, policy);
    const deliveryId = id ?? signatureDigestId(signature);
    // The event (and, with the window off, the timestamp) from the body only when asked for.
    return timestamp
      ? lazyVerifiedWebhook(EVENT_FROM_BODY, { delivery, eventHeader }, { deliveryId, timestamp })
      : lazyVerifiedWebhook(FROM_BODY, { delivery, eventHeader }, { deliveryId });
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const body = withTimestamp(input.payload, input.timestamp);
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'linear'), body).toString('hex');
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      [ID_HEADER]: input.id ?? randomUUID(),
      [SIGNATURE_HEADER]: signature,
    };
    const event = input.event ?? textFieldOf(parseJson(body), 'type');
    if (event !== undefined) headers[EVENT_HEADER] = event;
    return { headers, body };
  },
};

/** The SDK's checks: present, a finite number, a time Date can hold. */
function requiredTimestamp(delivery: IncomingWebhook): Date {
  const value = trailingTimestamp(delivery.rawBody) ?? fieldOf(delivery.json(), TIMESTAMP_FIELD);
  if (value === undefined || value === null) {
    throw new WebhookVerificationError('missing_timestamp', fieldMissing('body', TIMESTAMP_FIELD));
  }
  const timestamp = typeof value === 'number' ? dateOf(value) : undefined;
  if (!timestamp) throw new WebhookVerificationError('malformed_timestamp', timestampInvalid(TIMESTAMP_FIELD));
  return timestamp;
}

const TAIL_KEY = Buffer.from(TIMESTAMP_FIELD, 'latin1');
/** More digits than any millisecond time Date can hold: the full parse decides. */
const MAX_TAIL_DIGITS = 16;
/** Linear writes `webhookTimestamp` second to last, before `webhookId`; a few more are looked at. */
const TAIL_MEMBERS = 4;

/**
 * `webhookTimestamp`, read backwards from the end of the signed bytes when it is among the last
 * members of the top-level object (Linear writes `...,"webhookTimestamp":1700000000000,
 * "webhookId":"..."}`), so verifying a 64 KB delivery does not parse it. Only members whose key
 * and value are plain (a string without backslashes, or digits) are stepped over: in valid JSON
 * every quote not after a backslash delimits a string, so what is read is exactly the top-level
 * object's last members, and the last `webhookTimestamp`, which `JSON.parse` keeps. Anything
 * else (an escape, a nested value, a fraction, a leading zero) is `undefined`: the caller parses.
 */
function trailingTimestamp(body: Buffer): number | undefined {
  let at = skipSpaceBack(body, body.length - 1);
  if (body[at] !== 0x7d) return undefined; // }
  for (let member = 0; member < TAIL_MEMBERS; member += 1) {
    const value = memberBefore(body, at - 1);
    if (!value) return undefined;
    if (value.key.equals(TAIL_KEY)) return value.digits ? Number(value.digits) : undefined;
    if (body[value.start] !== 0x2c) return undefined; // the first member, and no timestamp
    at = value.start;
  }
  return undefined;
}

interface TailMember {
  readonly key: Buffer;
  /** The value's digits, when it is a whole number without a leading zero. */
  readonly digits: string | undefined;
  /** Where the `,` or `{` before the member is. */
  readonly start: number;
}

/** The plain member that ends at or before `end` (spaces skipped), or `undefined`. */
function memberBefore(body: Buffer, end: number): TailMember | undefined {
  let at = skipSpaceBack(body, end);
  let digits: string | undefined;
  if (body[at] === 0x22) {
    at = stringStartBefore(body, at);
  } else {
    const digitsEnd = at + 1;
    while (at >= 0 && body[at]! >= 0x30 && body[at]! <= 0x39) at -= 1;
    const length = digitsEnd - at - 1;
    if (length === 0 || length > MAX_TAIL_DIGITS || (length > 1 && body[at + 1] === 0x30)) return undefined;
    digits = body.toString('latin1', at + 1, digitsEnd);
    at += 1;
  }
  if (at < 0) return undefined;
  at = skipSpaceBack(body, at - 1);
  if (body[at] !== 0x3a) return undefined; // :
  at = skipSpaceBack(body, at - 1);
  if (body[at] !== 0x22) return undefined;
  const keyStart = stringStartBefore(body, at);
  if (keyStart < 0) return undefined;
  const start = skipSpaceBack(body, keyStart - 1);
  if (body[start] !== 0x2c && body[start] !== 0x7b) return undefined; // , or {
  return { key: body.subarray(keyStart + 1, at), digits, start };
}

/** The opening quote of the string whose closing quote is at `close`; -1 for any backslash. */
function stringStartBefore(body: Buffer, close: number): number {
  for (let at = close - 1; at >= 0; at -= 1) {
    if (body[at] === 0x5c) return -1;
    if (body[at] === 0x22) return at;
  }
  return -1;
}

/** The index of the last byte at or before `at` that is not JSON whitespace (-1 when none is). */
function skipSpaceBack(body: Buffer, at: number): number {
  while (at >= 0 && (body[at] === 0x20 || body[at] === 0x0a || body[at] === 0x0d || body[at] === 0x09)) at -= 1;
  return at;
}

function optionalTimestamp(delivery: IncomingWebhook): Date | undefined {
  const value = fieldOf(delivery.json(), TIMESTAMP_FIELD);
  return typeof value === 'number' ? dateOf(value) : undefined;
}

function dateOf(ms: number): Date | undefined {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_EPOCH_MS ? new Date(ms) : undefined;
}

/**
 * A JSON object body without `webhookTimestamp` gets one (the send time, in milliseconds)
 * before its closing brace; every other byte is kept. Anything else is signed as given.
 */
function withTimestamp(payload: Buffer, timestamp: Date): Buffer {
  const body = parseJson(payload);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return payload;
  if (fieldOf(body, TIMESTAMP_FIELD) !== undefined) return payload;
  const text = payload.toString('utf8');
  const end = text.lastIndexOf('}');
  const head = text.slice(0, end).trimEnd();
  const separator = head.endsWith('{') ? '' : ',';
  return Buffer.from(`${head}${separator}"${TIMESTAMP_FIELD}":${timestamp.getTime()}${text.slice(end)}`, 'utf8');
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** What `verify` keeps for the fields read from the body on first access. */
interface LinearState {
  readonly delivery: IncomingWebhook;
  readonly eventHeader: string | undefined;
}

/** The body's `type`, else the `Linear-Event` header. */
function eventOf({ delivery, eventHeader }: LinearState): string | undefined {
  return textFieldOf(delivery.json(), 'type') ?? eventHeader;
}

const EVENT_FROM_BODY: LazyWebhookFields<LinearState> = { event: eventOf };

/** With the window off the timestamp was not read to verify: it is read, like the event, when asked for. */
const FROM_BODY: LazyWebhookFields<LinearState> = {
  event: eventOf,
  timestamp: ({ delivery }) => optionalTimestamp(delivery),
};
