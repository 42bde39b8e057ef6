import { createHmac, timingSafeEqual } from 'node:crypto';
import { Paddle } from '@paddle/paddle-node-sdk';
import { signWebhook } from '../../lib/index.js';
import { paddleProvider } from '../../lib/providers/paddle.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = 'pdl_ntfset_01j0kq8x3v5c7b9n2m4p6r8t0w_Xk2bQ9sLk1Xc5Tz9Rb3Wm7Pd0Gf4Jy6E';

/** A `subscription.activated` notification as Paddle Billing posts it (compact JSON). */
const EVENT = JSON.stringify({
  event_id: 'evt_01j0kq9b4m5n6p7q8r9s0t1v2w',
  event_type: 'subscription.activated',
  occurred_at: '2024-06-10T12:21:54.361248Z',
  notification_id: 'ntf_01j0kq9b6c7d8e9f0g1h2j3k4m',
  data: {
    id: 'sub_01j0kq98zx3y4w5v6t7s8r9q0p',
    status: 'active',
    customer_id: 'ctm_01j0kq7n2p3q4r5s6t7v8w9x0y',
    address_id: 'add_01j0kq7r8s9t0v1w2x3y4z5a6b',
    currency_code: 'EUR',
    billing_cycle: { interval: 'month', frequency: 1 },
    current_billing_period: { starts_at: '2024-06-10T12:21:53.000000Z', ends_at: '2024-07-10T12:21:53.000000Z' },
    items: [
      {
        status: 'active',
        quantity: 1,
        price: {
          id: 'pri_01hv0vax6rv18t4tamj848ne4d',
          description: 'Monthly (per seat)',
          unit_price: { amount: '3000', currency_code: 'EUR' },
        },
      },
    ],
    custom_data: { team: 'Zoë & Jürgen' },
  },
});

/** A Paddle client only for its webhook helpers: they need no API call, so no real key. */
const paddle = new Paddle('pdl_sdbx_apikey_01j0kq7n2p3q4r5s6t7v8w9x0y_not_used');

function signatureOf(delivery: WireDelivery): string {
  return delivery.headers['Paddle-Signature'] ?? '';
}

/**
 * Runs `run` with the global clock at `now`. Paddle's SDK reads the time itself (`new Date()`),
 * synchronously before its first `await`, so the check it starts inside `run` sees `now`.
 */
function atClock<T>(now: Date, run: () => T): T {
  const RealDate = globalThis.Date;
  class FixedDate extends RealDate {
    constructor(...args: [] | [string | number | Date]) {
      if (args.length === 0) super(now.getTime());
      else super(args[0]);
    }
    static override now(): number {
      return now.getTime();
    }
  }
  globalThis.Date = FixedDate as DateConstructor;
  try {
    return run();
  } finally {
    globalThis.Date = RealDate;
  }
}

/**
 * Paddle: signed by `signWebhook` (Paddle's SDK only verifies), checked by the SDK's
 * `webhooks.isSignatureValid` at `now`.
 */
export const paddleSender: SenderFixture = {
  provider: 'paddle',
  secret: SECRET,
  signedBy: "`signWebhook` (Paddle's SDK only verifies: `webhooks.isSignatureValid` accepts it)",

  delivery({ now }) {
    const signed = signWebhook({ provider: paddleProvider, secret: SECRET, payload: EVENT, timestamp: now });
    return {
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'Paddle',
        'Paddle-Signature': signed.headers['paddle-signature']!,
      },
      body: signed.body,
    };
  },

  expected: { deliveryId: 'evt_01j0kq9b4m5n6p7q8r9s0t1v2w', event: 'subscription.activated' },

  async sdkAccepts({ delivery, now }) {
    try {
      const verdict = atClock(now, () =>
        paddle.webhooks.isSignatureValid(delivery.body.toString('utf8'), SECRET, signatureOf(delivery)),
      );
      return await verdict;
    } catch {
      return false;
    }
  },

  floor({ delivery }) {
    // `ts=<unix>;h1=<hex>`: the two entries in that order.
    const [ts = '', h1 = ''] = signatureOf(delivery).split(';');
    const expected = createHmac('sha256', SECRET)
      .update(`${ts.slice(3)}:`)
      .update(delivery.body)
      .digest();
    const received = Buffer.from(h1.slice(3), 'hex');
    return expected.length === received.length && timingSafeEqual(expected, received);
  },
};
