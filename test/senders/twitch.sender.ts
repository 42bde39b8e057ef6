import crypto, { createHmac, timingSafeEqual } from 'node:crypto';
import { signWebhook } from '../../lib/index.js';
import { twitchProvider } from '../../lib/providers/twitch.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = 's3cRe7-eventsub-9f2c41d8a7';
const MESSAGE_ID = 'befa7b53-d79d-478f-86b9-120f112b044e';

const SUBSCRIPTION = {
  id: 'f1c2a387-161a-49f9-a165-0f21d7a4e1c4',
  status: 'enabled',
  type: 'channel.follow',
  version: '2',
  cost: 0,
  condition: { broadcaster_user_id: '1337', moderator_user_id: '1337' },
  transport: { method: 'webhook', callback: 'https://example.com/webhooks/callback' },
  created_at: '2019-11-16T10:11:12.634234626Z',
};

/** A `channel.follow` notification, as Twitch's EventSub reference shows it. */
const CHANNEL_FOLLOW = JSON.stringify({
  subscription: SUBSCRIPTION,
  event: {
    user_id: '1234',
    user_login: 'cool_user',
    user_name: 'Cool_User',
    broadcaster_user_id: '1337',
    broadcaster_user_login: 'cooler_user',
    broadcaster_user_name: 'Cooler_User',
    followed_at: '2020-07-15T18:16:11.17106713Z',
  },
});

const CHALLENGE = 'pogchamp-kappa-360noscope-vohiyo';
const VERIFICATION = JSON.stringify({
  challenge: CHALLENGE,
  subscription: { ...SUBSCRIPTION, status: 'webhook_callback_verification_pending' },
});

function signed(body: string, now: Date, id?: string): WireDelivery {
  const { headers, body: bytes } = signWebhook({
    provider: twitchProvider,
    secret: SECRET,
    payload: body,
    timestamp: now,
    id,
  });
  return { headers, body: bytes };
}

function lowerCased(delivery: WireDelivery): Record<string, string> {
  return Object.fromEntries(Object.entries(delivery.headers).map(([name, value]) => [name.toLowerCase(), value]));
}

// The verification example of Twitch's "Handling webhook events", as written (Express lower-cases
// header names; `express.raw()` makes `request.body` a Buffer).
const TWITCH_MESSAGE_ID = 'Twitch-Eventsub-Message-Id'.toLowerCase();
const TWITCH_MESSAGE_TIMESTAMP = 'Twitch-Eventsub-Message-Timestamp'.toLowerCase();
const TWITCH_MESSAGE_SIGNATURE = 'Twitch-Eventsub-Message-Signature'.toLowerCase();
const HMAC_PREFIX = 'sha256=';

interface ExpressLikeRequest {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

function getHmacMessage(request: ExpressLikeRequest): string {
  return request.headers[TWITCH_MESSAGE_ID]! + request.headers[TWITCH_MESSAGE_TIMESTAMP]! + request.body.toString();
}

function getHmac(secret: string, message: string): string {
  return crypto.createHmac('sha256', secret).update(message).digest('hex');
}

function verifyMessage(hmac: string, verifySignature: string): boolean {
  return crypto.timingSafeEqual(Buffer.from(hmac), Buffer.from(verifySignature));
}

/**
 * Twitch: no SDK, so the delivery is signed by `signWebhook` and `sdkAccepts` runs the
 * example of Twitch's documentation as written (a signature of another length makes its
 * `timingSafeEqual` throw: that is a refusal).
 */
export const twitchSender: SenderFixture = {
  provider: 'twitch',
  secret: SECRET,
  signedBy: "signWebhook (checked by the verification example of Twitch's documentation)",
  delivery: ({ now }) => signed(CHANNEL_FOLLOW, now, MESSAGE_ID),
  expected: { deliveryId: MESSAGE_ID, event: 'channel.follow' },

  sdkAccepts({ delivery }) {
    const request = { headers: lowerCased(delivery), body: delivery.body };
    try {
      const hmac = HMAC_PREFIX + getHmac(SECRET, getHmacMessage(request));
      return true === verifyMessage(hmac, request.headers[TWITCH_MESSAGE_SIGNATURE] ?? '');
    } catch {
      return false;
    }
  },

  handshakes: [
    {
      name: 'webhook_callback_verification',
      delivery: ({ now }) => signed(VERIFICATION, now),
      expected: { status: 200, contentType: 'text/plain', body: CHALLENGE },
    },
  ],

  floor({ delivery }) {
    const headers = lowerCased(delivery);
    const signature = Buffer.from((headers[TWITCH_MESSAGE_SIGNATURE] ?? '').slice(HMAC_PREFIX.length), 'hex');
    const expected = createHmac('sha256', SECRET)
      .update(headers[TWITCH_MESSAGE_ID] ?? '')
      .update(headers[TWITCH_MESSAGE_TIMESTAMP] ?? '')
      .update(delivery.body)
      .digest();
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  },
};
