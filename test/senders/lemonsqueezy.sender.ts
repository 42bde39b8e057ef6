import crypto, { createHmac, timingSafeEqual } from 'node:crypto';
import { signatureDigestId, signWebhook } from '../../lib/index.js';
import { lemonSqueezyProvider } from '../../lib/providers/lemonsqueezy.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = 'ls-whsec-7Hq2Vz9Kc4Lx1Np6';

/**
 * An `order_created` event as Lemon Squeezy posts it: compact JSON written by PHP's
 * `json_encode`, so slashes are escaped (`https:\/\/`) and must be hashed as sent.
 */
const EVENT =
  '{"meta":{"test_mode":true,"event_name":"order_created","custom_data":{"user_id":"42"},' +
  '"webhook_id":"5fa9c4b0-3e1d-4c8a-9b2f-7d6e5c4b3a21"},"data":{"type":"orders","id":"2811527",' +
  '"attributes":{"store_id":48211,"customer_id":3115864,"identifier":"1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9",' +
  '"order_number":482111,"user_name":"Zo\\u00eb Kr\\u00fcger","user_email":"zoe.kruger@example.com",' +
  '"currency":"EUR","currency_rate":"1.08220000","subtotal":2900,"discount_total":0,"tax":551,"total":3451,' +
  '"status":"paid","status_formatted":"Paid","refunded":false,"first_order_item":{"id":2776521,' +
  '"order_id":2811527,"product_id":251311,"variant_id":361123,"product_name":"Pro plan","variant_name":"Yearly",' +
  '"price":2900,"test_mode":true},"urls":{"receipt":"https:\\/\\/app.lemonsqueezy.com\\/my-orders\\/1f2e3d4c' +
  '-5b6a-4978-8695-a4b3c2d1e0f9?signature=8d1c0e"},"created_at":"2024-06-12T14:03:27.000000Z",' +
  '"updated_at":"2024-06-12T14:03:27.000000Z","test_mode":true},"links":{"self":' +
  '"https:\\/\\/api.lemonsqueezy.com\\/v1\\/orders\\/2811527"}}}';
const BODY = Buffer.from(EVENT, 'utf8');
const SIGNATURE = createHmac('sha256', SECRET).update(BODY).digest('hex');

/**
 * The Node.js check of Lemon Squeezy's "Signing requests" guide, as written there: the hex
 * digest and the header compared as UTF-8 bytes with `timingSafeEqual`. Returns `false` where
 * the guide's code throws (including `timingSafeEqual`'s own throw for a header of another length).
 */
export function lemonSqueezyDocumentedCheck(rawBody: Buffer, xSignature: string | undefined, secret: string): boolean {
  try {
    const hmac = crypto.createHmac('sha256', secret);
    const digest = Buffer.from(hmac.update(rawBody).digest('hex'), 'utf8');
    const signature = Buffer.from(xSignature || '', 'utf8');
    if (!crypto.timingSafeEqual(digest, signature)) {
      throw new Error('Invalid signature.');
    }
    return true;
  } catch {
    return false;
  }
}

function signatureOf(delivery: WireDelivery): string {
  return delivery.headers['X-Signature'] ?? '';
}

/**
 * Lemon Squeezy: no SDK verifies webhooks. Signed by `signWebhook`; `sdkAccepts` runs the
 * check of Lemon Squeezy's "Signing requests" guide as written.
 */
export const lemonSqueezySender: SenderFixture = {
  provider: 'lemonsqueezy',
  secret: SECRET,
  signedBy: '`signWebhook` (no SDK; the check of Lemon Squeezy\'s "Signing requests" guide accepts it)',

  delivery() {
    const signed = signWebhook({ provider: lemonSqueezyProvider, secret: SECRET, payload: BODY });
    return {
      headers: {
        'Content-Type': 'application/json',
        'X-Event-Name': signed.headers['x-event-name']!,
        'X-Signature': signed.headers['x-signature']!,
      },
      body: signed.body,
    };
  },

  // The signature covers the body alone, so the digest id is the same for every delivery of it.
  expected: { deliveryId: signatureDigestId(Buffer.from(SIGNATURE, 'hex')), event: 'order_created' },

  sdkAccepts: ({ delivery }) => lemonSqueezyDocumentedCheck(delivery.body, signatureOf(delivery), SECRET),

  floor({ delivery }) {
    const expected = createHmac('sha256', SECRET).update(delivery.body).digest();
    const received = Buffer.from(signatureOf(delivery), 'hex');
    return expected.length === received.length && timingSafeEqual(expected, received);
  },
};
