import type { BinaryLike } from 'node:crypto';
import { bodyDigestId, bytesEqual, hmac } from '../core/crypto.js';
import { WebhookVerificationError } from '../core/errors/index.js';
import { headerMalformed } from '../core/errors/webhook.messages.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import { fieldOf, textFieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { assertWithinWindow, parseEpochSeconds } from '../core/timestamp.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';
import { WebhookResponse } from '../core/webhook-response.js';

const SIGNATURE_HEADER = 'x-zm-signature';
const TIMESTAMP_HEADER = 'x-zm-request-timestamp';
const PREFIX = 'v0=';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'hex' };
const URL_VALIDATION = 'endpoint.url_validation';

/**
 * Zoom: `x-zm-signature` is `v0=` followed by the hex HMAC-SHA256, under the app's secret
 * token, of `v0:<x-zm-request-timestamp>:<body>` (the timestamp in seconds, as sent). The
 * body's `event` is the event. Zoom sends no delivery id, so the body's digest stands in for
 * one, worked out when first read: not the signature's, which covers the timestamp and so
 * changes when Zoom signs a retry again. Distinct events never share a body (each carries its
 * `event_ts`, in milliseconds, and its object). The timestamp must be within 300 s of now either way (Zoom has no SDK that
 * says otherwise).
 *
 * Zoom signs its `endpoint.url_validation` challenge like any event; once it verifies, the
 * module answers 200 `{ "plainToken", "encryptedToken" }`, where `encryptedToken` is the hex
 * HMAC-SHA256 of `plainToken` under the secret that verified the challenge (during a
 * rotation, the one Zoom signs with now).
 */
export const zoomProvider: WebhookProvider<Buffer[]> = {
  name: 'zoom',
  sensitiveHeaders: [SIGNATURE_HEADER],
  senderHeaders: [TIMESTAMP_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Zoom',
    secret: 'secret token',
    signatureHeader: '`x-zm-signature: v0=<hex>`',
    signedContent: '`v0:<x-zm-request-timestamp>:<body>`',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId: 'digest of the body (Zoom sends no id; the signature changes when a retry is signed again)',
    event: 'body `event`',
    timestamp: '`x-zm-request-timestamp`, seconds (300 s)',
    handshake:
      '`endpoint.url_validation`: 200 JSON `{ plainToken, encryptedToken }`, the hex HMAC of `plainToken` under the secret that verified it',
    checkedAgainst:
      "Zoom's documented check (`v0:<ts>:<body>`, Zoom's `webhook-sample`) and its `endpoint.url_validation` example; no Zoom SDK verifies",
  },
  examples: [
    {
      event: 'meeting.started',
      payload: {
        event: 'meeting.started',
        event_ts: 1715000000123,
        payload: {
          account_id: 'AAAAAABBBB',
          object: {
            id: '85734912345',
            uuid: 'Mbd3Ab9qSqmcMLCq9Ar1Kg==',
            host_id: 'x1yCzABCDEfg23HiJKl4mN',
            topic: 'Weekly sync',
            type: 2,
            start_time: '2024-05-06T12:53:20Z',
            timezone: 'Europe/Lisbon',
          },
        },
      },
    },
    {
      event: 'endpoint.url_validation',
      // Zoom's challenge: the module answers with `plainToken` and its HMAC.
      payload: {
        payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' },
        event_ts: 1654503849680,
        event: 'endpoint.url_validation',
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'zoom'),

  verify(delivery, keys, policy) {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const timestampText = delivery.headers.required(TIMESTAMP_HEADER, 'missing_timestamp', 'malformed_timestamp');
    if (!received.startsWith(PREFIX)) {
      throw new WebhookVerificationError(
        'malformed_signature',
        headerMalformed(SIGNATURE_HEADER, `must start with "${PREFIX}"`),
      );
    }
    const timestamp = parseEpochSeconds(timestampText, TIMESTAMP_HEADER);
    assertWithinWindow(timestamp, policy);
    const signed: readonly BinaryLike[] = [`v0:${timestampText}:`, delivery.rawBody];
    const signature = verifyHmacSignature(received.slice(PREFIX.length), SIGNATURE_HEADER, SCHEME, keys, signed);
    // Read from the body only when asked for: verifying a large body need not hash or parse it.
    return lazyVerifiedWebhook(
      FROM_BODY,
      { delivery, keys, signed, signature, handshake: null, id: undefined },
      { timestamp },
    );
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const timestamp = String(Math.floor(input.timestamp.getTime() / 1000));
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'zoom'), `v0:${timestamp}:`, input.payload);
    return {
      headers: {
        'content-type': 'application/json',
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: `${PREFIX}${signature.toString('hex')}`,
      },
      body: input.payload,
    };
  },
};

/**
 * The module reads the handshake of every delivery, so the bytes are searched for the
 * challenge's event name before the body is parsed: other events cost one search.
 */
function urlValidationAnswer(delivery: IncomingWebhook, key: () => Buffer): WebhookResponse | undefined {
  if (!delivery.rawBody.includes(URL_VALIDATION)) return undefined;
  const body = delivery.json();
  const plainToken = fieldOf(fieldOf(body, 'payload'), 'plainToken');
  if (textFieldOf(body, 'event') !== URL_VALIDATION || typeof plainToken !== 'string') return undefined;
  const encryptedToken = hmac(SCHEME.algorithm, key(), plainToken).toString('hex');
  return WebhookResponse.json({ plainToken, encryptedToken });
}

/**
 * The secret whose HMAC is the signature that matched: Zoom computes `encryptedToken` with
 * the secret token it signs with, which during a rotation need not be the first configured.
 * Worked out only for a challenge (tiny bodies), so events pay nothing for it.
 */
function keyThatSigned(keys: readonly Buffer[], signed: readonly BinaryLike[], signature: Buffer): Buffer {
  return keys.find((key) => bytesEqual(hmac(SCHEME.algorithm, key, ...signed), signature)) ?? signingKey(keys, 'zoom');
}

/** What `verify` keeps for the fields read on first access; `handshake` is `null` until worked out. */
interface ZoomState {
  readonly delivery: IncomingWebhook;
  readonly keys: readonly Buffer[];
  readonly signed: readonly BinaryLike[];
  readonly signature: Buffer;
  handshake: WebhookResponse | undefined | null;
  /** The body's digest, once worked out. */
  id: string | undefined;
}

/** The id (the body's digest, hashed once), the event and the URL validation's answer, when asked for. */
const FROM_BODY: LazyWebhookFields<ZoomState> = {
  deliveryId: (state) => (state.id ??= bodyDigestId(state.delivery.rawBody)),
  event: ({ delivery }) => textFieldOf(delivery.json(), 'event'),
  handshake: (state) => {
    if (state.handshake === null) {
      state.handshake = urlValidationAnswer(state.delivery, () =>
        keyThatSigned(state.keys, state.signed, state.signature),
      );
    }
    return state.handshake;
  },
};
