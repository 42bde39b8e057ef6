import { createHmac, timingSafeEqual } from 'node:crypto';
import Stripe from 'stripe';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = 'whsec_Rk7vQ2mXc9LpT4nZ8bW1yH5sJ3dF6gA0';
const SIGNATURE_HEADER = 'Stripe-Signature';

/** A `checkout.session.completed` event as Stripe posts it: pretty-printed, with a trailing newline. */
const EVENT = `{
  "id": "evt_1PQxTkLkdIwHu7ixbR4sNq2E",
  "object": "event",
  "api_version": "2024-06-20",
  "created": 1718022114,
  "data": {
    "object": {
      "id": "cs_test_a1Gm3bQ9Lx7vT2kP8nR5sW0yH4jD6fC3eZ1uN9oI2qK5",
      "object": "checkout.session",
      "amount_subtotal": 4900,
      "amount_total": 4900,
      "currency": "eur",
      "customer": "cus_QH2mXc9LpT4nZ8",
      "customer_details": { "email": "zoe@example.com", "name": "Zo\u00eb Kr\u00fcger", "address": { "country": "DE" } },
      "mode": "subscription",
      "payment_status": "paid",
      "status": "complete",
      "subscription": "sub_1PQxTjLkdIwHu7ixT9wYv3Lm"
    }
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": { "id": null, "idempotency_key": null },
  "type": "checkout.session.completed"
}
`;

/** The `Stripe-Signature` header of a delivery, as written by {@link stripeSender}. */
function signatureOf(delivery: WireDelivery): string {
  return delivery.headers[SIGNATURE_HEADER] ?? '';
}

/** Stripe: signed by Stripe's own SDK (`generateTestHeaderString`), checked by its `constructEvent`. */
export const stripeSender: SenderFixture = {
  provider: 'stripe',
  secret: SECRET,
  signedBy: '`stripe` `webhooks.generateTestHeaderString`',

  delivery({ now }) {
    const timestamp = Math.floor(now.getTime() / 1000);
    return {
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        Accept: '*/*; q=0.5, application/xml',
        'Cache-Control': 'no-cache',
        [SIGNATURE_HEADER]: Stripe.webhooks.generateTestHeaderString({ payload: EVENT, secret: SECRET, timestamp }),
      },
      body: Buffer.from(EVENT, 'utf8'),
    };
  },

  expected: { deliveryId: 'evt_1PQxTkLkdIwHu7ixbR4sNq2E', event: 'checkout.session.completed' },

  sdkAccepts({ delivery, now }) {
    try {
      Stripe.webhooks.constructEvent(delivery.body, signatureOf(delivery), SECRET, undefined, undefined, now.getTime());
      return true;
    } catch {
      return false;
    }
  },

  floor({ delivery }) {
    // `t=<unix>,v1=<hex>` as the SDK writes it: the two entries in that order.
    const [t = '', v1 = ''] = signatureOf(delivery).split(',');
    const expected = createHmac('sha256', SECRET)
      .update(`${t.slice(2)}.`)
      .update(delivery.body)
      .digest();
    const received = Buffer.from(v1.slice(3), 'hex');
    return expected.length === received.length && timingSafeEqual(expected, received);
  },
};
