import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { signWebhook } from '../../lib/index.js';
import { zoomProvider } from '../../lib/providers/zoom.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = 'Zq3xW8vT2mK9pL4nR7sB1c';

/** A `meeting.started` event as Zoom posts it (compact JSON). */
const MEETING_STARTED = JSON.stringify({
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
      duration: 30,
    },
  },
});

/** The challenge of Zoom's "Validate your webhook endpoint" example. */
const PLAIN_TOKEN = 'qgg8vlvZRS6UYooatFL8Aw';
const URL_VALIDATION = JSON.stringify({
  payload: { plainToken: PLAIN_TOKEN },
  event_ts: 1654503849680,
  event: 'endpoint.url_validation',
});

/** Zoom sends no delivery id: the library's is the digest of the body, whatever the timestamp. */
const DELIVERY_ID = createHash('sha256').update(MEETING_STARTED).digest('hex').slice(0, 32);

function signed(body: string, now: Date): WireDelivery {
  const { headers, body: bytes } = signWebhook({
    provider: zoomProvider,
    secret: SECRET,
    payload: body,
    timestamp: now,
  });
  return { headers, body: bytes };
}

function header(delivery: WireDelivery, name: string): string | undefined {
  return Object.entries(delivery.headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * Zoom: no Zoom SDK verifies, so the delivery is signed by `signWebhook` and `sdkAccepts`
 * runs the check of Zoom's documentation and `webhook-sample` as written. The delivery id
 * is the body's digest, the same at any timestamp.
 */
export const zoomSender: SenderFixture = {
  provider: 'zoom',
  secret: SECRET,
  signedBy: "signWebhook (checked by Zoom's documented x-zm-signature check)",
  delivery: ({ now }) => signed(MEETING_STARTED, now),
  expected: { deliveryId: DELIVERY_ID, event: 'meeting.started' },

  /** Zoom's sample: `v0:${ts}:${JSON.stringify(req.body)}` after `bodyParser.json()`, compared with `===`. */
  sdkAccepts({ delivery }) {
    let body: unknown;
    try {
      body = JSON.parse(delivery.body.toString('utf8'));
    } catch {
      return false;
    }
    const message = `v0:${header(delivery, 'x-zm-request-timestamp')}:${JSON.stringify(body)}`;
    const signature = `v0=${createHmac('sha256', SECRET).update(message).digest('hex')}`;
    return header(delivery, 'x-zm-signature') === signature;
  },

  handshakes: [
    {
      name: 'endpoint.url_validation',
      delivery: ({ now }) => signed(URL_VALIDATION, now),
      expected: {
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({
          plainToken: PLAIN_TOKEN,
          encryptedToken: createHmac('sha256', SECRET).update(PLAIN_TOKEN).digest('hex'),
        }),
      },
    },
  ],

  floor({ delivery }) {
    const signature = Buffer.from((header(delivery, 'x-zm-signature') ?? '').slice(3), 'hex');
    const expected = createHmac('sha256', SECRET)
      .update(`v0:${header(delivery, 'x-zm-request-timestamp')}:`)
      .update(delivery.body)
      .digest();
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  },
};
