import { randomUUID } from 'node:crypto';
import { hmac } from '../core/crypto.js';
import { WebhookVerificationError } from '../core/errors/index.js';
import { algorithmRefused, headerMalformed } from '../core/errors/webhook.messages.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import { fieldOf, textFieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { assertWithinWindow, parseIsoTimestamp } from '../core/timestamp.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';
import { WebhookResponse } from '../core/webhook-response.js';

const ID_HEADER = 'twitch-eventsub-message-id';
const TIMESTAMP_HEADER = 'twitch-eventsub-message-timestamp';
const SIGNATURE_HEADER = 'twitch-eventsub-message-signature';
const MESSAGE_TYPE_HEADER = 'twitch-eventsub-message-type';
const SUBSCRIPTION_TYPE_HEADER = 'twitch-eventsub-subscription-type';
const SUBSCRIPTION_VERSION_HEADER = 'twitch-eventsub-subscription-version';
const RETRY_HEADER = 'twitch-eventsub-message-retry';
const PREFIX = 'sha256=';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'hex' };
const VERIFICATION = 'webhook_callback_verification';
const REVOCATION = 'revocation';
const NOTIFICATION = 'notification';

/**
 * Twitch EventSub: `Twitch-Eventsub-Message-Signature` is `sha256=` followed by the hex
 * HMAC-SHA256, under the subscription's secret, of the message id, the timestamp and the
 * body joined with nothing between them (`<Twitch-Eventsub-Message-Id><…-Timestamp><body>`).
 * The timestamp is RFC 3339 with up to nanoseconds; strict parsing keeps the unseparated id
 * and timestamp from being re-split. The signed message id is the delivery id (Twitch keeps
 * it across retries). The event is `Twitch-Eventsub-Subscription-Type`, except that a
 * `revocation` message is routed as the event `revocation`. Twitch's documentation refuses
 * messages older than 10 minutes; the 600 s window here refuses those ahead of the clock too.
 *
 * The message type and subscription type headers are not signed; the signed message id
 * still de-duplicates a replay of a delivery with them changed. A
 * `webhook_callback_verification` is answered by the module, once verified, with 200
 * `text/plain` and the body's `challenge`.
 */
export const twitchProvider: WebhookProvider<Buffer[]> = {
  name: 'twitch',
  sensitiveHeaders: [SIGNATURE_HEADER],
  senderHeaders: [
    ID_HEADER,
    TIMESTAMP_HEADER,
    MESSAGE_TYPE_HEADER,
    SUBSCRIPTION_TYPE_HEADER,
    SUBSCRIPTION_VERSION_HEADER,
    RETRY_HEADER,
  ],
  methods: ['POST'],
  contentType: 'application/json',
  defaultToleranceSeconds: 600,
  summary: {
    sender: 'Twitch EventSub',
    secret: 'EventSub subscription secret',
    signatureHeader: '`Twitch-Eventsub-Message-Signature: sha256=<hex>`',
    signedContent: '`<Twitch-Eventsub-Message-Id><Twitch-Eventsub-Message-Timestamp><body>`',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId: '`Twitch-Eventsub-Message-Id` (signed)',
    event: '`Twitch-Eventsub-Subscription-Type`; a `revocation` message: `revocation`',
    timestamp: '`Twitch-Eventsub-Message-Timestamp`, RFC 3339 up to nanoseconds (600 s)',
    handshake: "`webhook_callback_verification`: 200 `text/plain` with the body's `challenge`",
    checkedAgainst:
      'the verification example of Twitch\'s "Handling webhook events" (`getHmacMessage`, `verifyMessage`), run as written; Twitch has no SDK',
  },
  examples: [
    {
      event: 'channel.follow',
      payload: {
        subscription: {
          id: 'f1c2a387-161a-49f9-a165-0f21d7a4e1c4',
          status: 'enabled',
          type: 'channel.follow',
          version: '2',
          cost: 0,
          condition: { broadcaster_user_id: '1337', moderator_user_id: '1337' },
          transport: { method: 'webhook', callback: 'https://example.com/webhooks/callback' },
          created_at: '2019-11-16T10:11:12.634234626Z',
        },
        event: {
          user_id: '1234',
          user_login: 'cool_user',
          user_name: 'Cool_User',
          broadcaster_user_id: '1337',
          broadcaster_user_login: 'cooler_user',
          broadcaster_user_name: 'Cooler_User',
          followed_at: '2020-07-15T18:16:11.17106713Z',
        },
      },
    },
    {
      event: 'revocation',
      // A subscription Twitch ended: a `revocation` message (no `event`).
      payload: {
        subscription: {
          id: 'f1c2a387-161a-49f9-a165-0f21d7a4e1c4',
          status: 'authorization_revoked',
          type: 'channel.follow',
          version: '2',
          cost: 0,
          condition: { broadcaster_user_id: '1337', moderator_user_id: '1337' },
          transport: { method: 'webhook', callback: 'https://example.com/webhooks/callback' },
          created_at: '2019-11-16T10:11:12.634234626Z',
        },
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'twitch'),

  verify(delivery, keys, policy) {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const id = delivery.headers.required(ID_HEADER, 'malformed_signature', 'malformed_signature');
    const timestampText = delivery.headers.required(TIMESTAMP_HEADER, 'missing_timestamp', 'malformed_timestamp');
    const hex = signatureHex(received);
    // Parsed even with the window off: it is what keeps id and timestamp apart in the signed bytes.
    const timestamp = parseIsoTimestamp(timestampText, TIMESTAMP_HEADER);
    assertWithinWindow(timestamp, policy);
    verifyHmacSignature(hex, SIGNATURE_HEADER, SCHEME, keys, [id, timestampText, delivery.rawBody]);
    const messageType = delivery.headers.single(MESSAGE_TYPE_HEADER, 'malformed_signature');
    const subscriptionType = delivery.headers.single(SUBSCRIPTION_TYPE_HEADER, 'malformed_signature');
    const event = messageType === REVOCATION ? REVOCATION : subscriptionType;
    if (messageType !== VERIFICATION) return { deliveryId: id, event, timestamp, handshake: undefined };
    // Only a verification message's body is read, and only when asked.
    return lazyVerifiedWebhook(CHALLENGE, delivery, { deliveryId: id, event, timestamp });
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const id = input.id ?? randomUUID();
    const timestamp = rfc3339Nanoseconds(input.timestamp);
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'twitch'), id, timestamp, input.payload);
    const body = parseJson(input.payload);
    const subscription = fieldOf(body, 'subscription');
    const messageType = input.event === REVOCATION ? REVOCATION : messageTypeOf(body);
    const subscriptionType =
      (input.event === REVOCATION ? undefined : input.event) ?? textFieldOf(subscription, 'type');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [ID_HEADER]: id,
      [RETRY_HEADER]: '0',
      [MESSAGE_TYPE_HEADER]: messageType,
      [SIGNATURE_HEADER]: `${PREFIX}${signature.toString('hex')}`,
      [TIMESTAMP_HEADER]: timestamp,
    };
    if (subscriptionType !== undefined) headers[SUBSCRIPTION_TYPE_HEADER] = subscriptionType;
    headers[SUBSCRIPTION_VERSION_HEADER] = textFieldOf(subscription, 'version') ?? '1';
    return { headers, body: input.payload };
  },
};

/** The hex after `sha256=`; another algorithm's name is refused as such, anything else is malformed. */
function signatureHex(received: string): string {
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

function challengeAnswer(delivery: IncomingWebhook): WebhookResponse | undefined {
  const challenge = fieldOf(delivery.json(), 'challenge');
  return typeof challenge === 'string' ? WebhookResponse.text(challenge) : undefined;
}

/** Twitch writes nanoseconds; a Date has milliseconds, so the last six digits are zeros. */
function rfc3339Nanoseconds(date: Date): string {
  return date.toISOString().replace(/Z$/, '000000Z');
}

/** What Twitch would send the body as: a challenge, an event, or a subscription alone (revoked). */
function messageTypeOf(body: unknown): string {
  if (typeof fieldOf(body, 'challenge') === 'string') return VERIFICATION;
  if (fieldOf(body, 'event') === undefined && fieldOf(body, 'subscription') !== undefined) return REVOCATION;
  return NOTIFICATION;
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** A verification message's answer, from its body, when asked for. */
const CHALLENGE: LazyWebhookFields<IncomingWebhook> = {
  handshake: (delivery) => challengeAnswer(delivery),
};
