import { createHmac, timingSafeEqual } from 'node:crypto';
import Razorpay from 'razorpay';
import { signWebhook } from '../../lib/index.js';
import { razorpayProvider } from '../../lib/providers/razorpay.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = 'rzp-whsec-Tq7Lm2Xv9Kc4Np1B';
const EVENT_ID = 'OXkqz6Yb2Jm8Rt';

/** A `payment.captured` event as Razorpay posts it (compact JSON). */
const EVENT = JSON.stringify({
  entity: 'event',
  account_id: 'acc_BFQ7uQEaa7j2z7',
  event: 'payment.captured',
  contains: ['payment'],
  payload: {
    payment: {
      entity: {
        id: 'pay_OXkqwT1sZb3Lm9',
        entity: 'payment',
        amount: 249900,
        currency: 'INR',
        base_amount: 249900,
        status: 'captured',
        order_id: 'order_OXkqJ8vR2nQ5Tw',
        invoice_id: null,
        international: false,
        method: 'upi',
        amount_refunded: 0,
        refund_status: null,
        captured: true,
        description: 'Annual plan – Priya Raghunathan',
        card_id: null,
        bank: null,
        wallet: null,
        vpa: 'priya.r@okhdfcbank',
        email: 'priya.r@example.com',
        contact: '+919876543210',
        notes: { plan: 'annual' },
        fee: 5898,
        tax: 900,
        error_code: null,
        error_description: null,
        acquirer_data: { rrn: '416223718945', upi_transaction_id: 'AXI7E0C6B1C1D3F4' },
        created_at: 1718200990,
      },
    },
  },
  created_at: 1718201007,
});

function signatureOf(delivery: WireDelivery): string {
  return delivery.headers['X-Razorpay-Signature'] ?? '';
}

/** Razorpay: signed by `signWebhook` (Razorpay's SDK only verifies), checked by `validateWebhookSignature`. */
export const razorpaySender: SenderFixture = {
  provider: 'razorpay',
  secret: SECRET,
  signedBy: "`signWebhook` (Razorpay's SDK only verifies: `validateWebhookSignature` accepts it)",

  delivery() {
    const signed = signWebhook({ provider: razorpayProvider, secret: SECRET, payload: EVENT, id: EVENT_ID });
    return {
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'Razorpay-Webhook/v1',
        'X-Razorpay-Event-Id': signed.headers['x-razorpay-event-id']!,
        'X-Razorpay-Signature': signed.headers['x-razorpay-signature']!,
      },
      body: signed.body,
    };
  },

  expected: { deliveryId: EVENT_ID, event: 'payment.captured' },

  sdkAccepts: ({ delivery }) =>
    Razorpay.validateWebhookSignature(delivery.body.toString('utf8'), signatureOf(delivery), SECRET),

  floor({ delivery }) {
    const expected = createHmac('sha256', SECRET).update(delivery.body).digest();
    const received = Buffer.from(signatureOf(delivery), 'hex');
    return expected.length === received.length && timingSafeEqual(expected, received);
  },
};
