import { createHmac, timingSafeEqual } from 'node:crypto';
import { signWebhook } from '../../lib/index.js';
import { shopifyProvider } from '../../lib/providers/shopify.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const CLIENT_SECRET = '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';
const WEBHOOK_ID = 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043';
const SIGNATURE_HEADER = 'x-shopify-hmac-sha256';

/** An `orders/create` webhook as Shopify posts it (trimmed; a customer and a line in UTF-8). */
export const SHOPIFY_ORDER_BODY = JSON.stringify({
  id: 5731249012839,
  admin_graphql_api_id: 'gid://shopify/Order/5731249012839',
  name: '#1042',
  email: 'joao@example.com',
  created_at: '2024-05-01T14:00:00+02:00',
  currency: 'EUR',
  financial_status: 'paid',
  total_price: '42.00',
  customer: { id: 7124553761, first_name: 'João', last_name: 'Silva' },
  line_items: [{ id: 14530021867623, title: 'Café torrado — 500 g', quantity: 2, price: '21.00', sku: 'CAFE-500' }],
  shipping_address: { city: 'Lisboa', country_code: 'PT', zip: '1100-148' },
});

function headerOf(delivery: WireDelivery, name: string): string | undefined {
  return Object.entries(delivery.headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * `@shopify/shopify-api`'s `webhooks.validate`, written out from its source (it needs Node 22,
 * so it is not installed): a delivery without a body or an HMAC is refused; the HMAC is the
 * base64 HMAC-SHA256 of the raw body as UTF-8 text, compared in constant time
 * (`validateHmacFromRequest`, `safeCompare`); then the topic, shop domain, API version and
 * webhook id headers must be present (`checkWebhooksHeaders`).
 */
export function shopifyApiValidates(delivery: WireDelivery, apiSecretKey: string): boolean {
  const rawBody = delivery.body.toString('utf8');
  const hmac = headerOf(delivery, SIGNATURE_HEADER);
  if (!rawBody.length || !hmac) return false;
  const localHmac = createHmac('sha256', apiSecretKey).update(rawBody, 'utf8').digest('base64');
  const received = Buffer.from(hmac);
  const expected = Buffer.from(localHmac);
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) return false;
  const required = ['x-shopify-topic', 'x-shopify-shop-domain', 'x-shopify-api-version', 'x-shopify-webhook-id'];
  return required.every((name) => Boolean(headerOf(delivery, name)));
}

/** Shopify, written by `signWebhook` and checked as `@shopify/shopify-api`'s `webhooks.validate` checks it. */
export const shopifySender: SenderFixture = {
  provider: 'shopify',
  secret: CLIENT_SECRET,
  signedBy: "signWebhook (checked by @shopify/shopify-api's webhooks.validate, from its source)",

  delivery({ now }) {
    const signed = signWebhook({
      provider: shopifyProvider,
      secret: CLIENT_SECRET,
      id: WEBHOOK_ID,
      event: 'orders/create',
      timestamp: now,
      payload: SHOPIFY_ORDER_BODY,
    });
    return {
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'Shopify-Captain-Hook',
        'X-Shopify-Topic': 'orders/create',
        'X-Shopify-Hmac-Sha256': signed.headers[SIGNATURE_HEADER]!,
        'X-Shopify-Shop-Domain': 'cafe-joao.myshopify.com',
        'X-Shopify-API-Version': '2024-04',
        'X-Shopify-Webhook-Id': WEBHOOK_ID,
        'X-Shopify-Event-Id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
        'X-Shopify-Triggered-At': now.toISOString(),
      },
      body: signed.body,
    };
  },

  // X-Shopify-Triggered-At is not signed: the library reports no timestamp.
  expected: { deliveryId: WEBHOOK_ID, event: 'orders/create' },

  sdkAccepts: ({ delivery }) => shopifyApiValidates(delivery, CLIENT_SECRET),

  floor({ delivery }) {
    const received = Buffer.from(headerOf(delivery, SIGNATURE_HEADER)!, 'base64');
    const expected = createHmac('sha256', CLIENT_SECRET).update(delivery.body).digest();
    return received.length === expected.length && timingSafeEqual(received, expected);
  },
};
