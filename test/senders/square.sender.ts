import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhooksHelper } from 'square';
import { signWebhook } from '../../lib/index.js';
import { squareProvider } from '../../lib/providers/square.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SIGNATURE_KEY = 'Tq9vX3mYb2Lr8Kd1Ws5Hn0';
const EVENT_ID = '13b867cf-db3d-4b1c-90b6-2f32a9d78124';
const SIGNATURE_HEADER = 'x-square-hmacsha256-signature';

/** A `payment.updated` notification as Square posts it (a note in UTF-8). */
export const SQUARE_PAYMENT_BODY = JSON.stringify({
  merchant_id: '6SSW7HV8K2ST5',
  type: 'payment.updated',
  event_id: EVENT_ID,
  created_at: '2024-05-01T12:00:00.123Z',
  data: {
    type: 'payment',
    id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY',
    object: {
      payment: {
        id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY',
        amount_money: { amount: 4200, currency: 'EUR' },
        status: 'COMPLETED',
        source_type: 'CARD',
        location_id: 'L88917AVBK2S5',
        order_id: 'pRsWzJgsdKmGcQ7IOg5nrDEUaaTZY',
        note: 'Café para João',
        created_at: '2024-05-01T11:59:58.401Z',
        updated_at: '2024-05-01T12:00:00.101Z',
        version: 3,
      },
    },
  },
});

function headerOf(delivery: WireDelivery, name: string): string | undefined {
  return Object.entries(delivery.headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * Square. Its SDK only verifies, so the delivery is written by `signWebhook` and checked by
 * `square`'s `WebhooksHelper.verifySignature`.
 */
export const squareSender: SenderFixture = {
  provider: 'square',
  secret: SIGNATURE_KEY,
  signsUrl: true,
  signedBy: 'signWebhook (checked by square WebhooksHelper.verifySignature)',

  delivery({ url, now }) {
    const signed = signWebhook({
      provider: squareProvider,
      secret: SIGNATURE_KEY,
      url,
      timestamp: now,
      payload: SQUARE_PAYMENT_BODY,
    });
    return {
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'Square Connect v2',
        'Square-Version': '2024-04-17',
        'Square-Environment': 'Production',
        'Square-Initial-Delivery-Timestamp': now.toISOString(),
        'X-Square-Hmacsha256-Signature': signed.headers[SIGNATURE_HEADER]!,
      },
      body: signed.body,
    };
  },

  expected: { deliveryId: EVENT_ID, event: 'payment.updated' },

  sdkAccepts({ delivery, url }) {
    return WebhooksHelper.verifySignature({
      requestBody: delivery.body.toString('utf8'),
      signatureHeader: headerOf(delivery, SIGNATURE_HEADER) ?? '',
      signatureKey: SIGNATURE_KEY,
      notificationUrl: url,
    });
  },

  floor({ delivery, url }) {
    const received = Buffer.from(headerOf(delivery, SIGNATURE_HEADER)!, 'base64');
    const expected = createHmac('sha256', SIGNATURE_KEY).update(url).update(delivery.body).digest();
    return received.length === expected.length && timingSafeEqual(received, expected);
  },
};
