import { randomUUID } from 'node:crypto';
import { hmac } from '../core/crypto.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'x-shopify-hmac-sha256';
const ID_HEADER = 'x-shopify-webhook-id';
const TOPIC_HEADER = 'x-shopify-topic';
const TRIGGERED_AT_HEADER = 'x-shopify-triggered-at';
const SHOP_DOMAIN_HEADER = 'x-shopify-shop-domain';
const API_VERSION_HEADER = 'x-shopify-api-version';
const EVENT_ID_HEADER = 'x-shopify-event-id';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'base64' };

/**
 * Shopify: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body, keyed with
 * the app's client secret. `X-Shopify-Webhook-Id` is the delivery id (kept across retries;
 * required, as `@shopify/shopify-api` requires it) and `X-Shopify-Topic` the event type.
 *
 * No header is signed, only the body. `X-Shopify-Triggered-At` is therefore informational:
 * there is no replay window, and it is not reported as the delivery's timestamp (a forged
 * one must not decide when a delivery may be forgotten); handlers can read it from the
 * headers. The id and topic are as unsigned: a captured body and signature can be sent
 * again under another id.
 */
export const shopifyProvider: WebhookProvider<Buffer[]> = {
  name: 'shopify',
  sensitiveHeaders: [SIGNATURE_HEADER],
  senderHeaders: [
    ID_HEADER,
    TOPIC_HEADER,
    TRIGGERED_AT_HEADER,
    SHOP_DOMAIN_HEADER,
    API_VERSION_HEADER,
    EVENT_ID_HEADER,
    'x-shopify-sub-topic',
    'x-shopify-name',
  ],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Shopify',
    secret: 'app client secret',
    signatureHeader: '`X-Shopify-Hmac-Sha256` (base64)',
    signedContent: 'body',
    algorithm: 'HMAC-SHA256, base64',
    deliveryId: '`X-Shopify-Webhook-Id` (required; not signed)',
    event: '`X-Shopify-Topic` (not signed)',
    timestamp: 'none: `X-Shopify-Triggered-At` is not signed, so informational only (no window)',
    handshake: 'none',
    checkedAgainst:
      "Shopify's documented scheme as `@shopify/shopify-api`'s `validateHmacFromRequest` and its `getHmac` test helper compute it (not installed: it needs Node 22)",
  },
  examples: [
    {
      event: 'orders/create',
      payload: {
        id: 5731249012839,
        admin_graphql_api_id: 'gid://shopify/Order/5731249012839',
        name: '#1042',
        email: 'joao@example.com',
        created_at: '2024-05-01T14:00:00+02:00',
        currency: 'EUR',
        financial_status: 'paid',
        total_price: '42.00',
        customer: { id: 7124553761, first_name: 'João', last_name: 'Silva' },
        line_items: [{ id: 14530021867623, title: 'Roasted coffee, 500 g', quantity: 2, price: '21.00' }],
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'shopify'),

  verify(delivery, keys) {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const id = delivery.headers.required(ID_HEADER, 'malformed_signature', 'malformed_signature');
    verifyHmacSignature(received, SIGNATURE_HEADER, SCHEME, keys, [delivery.rawBody]);
    return {
      deliveryId: id,
      event: delivery.headers.single(TOPIC_HEADER, 'malformed_signature'),
      timestamp: undefined,
    };
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'shopify'), input.payload).toString('base64');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signature,
      [ID_HEADER]: input.id ?? randomUUID(),
      [TRIGGERED_AT_HEADER]: input.timestamp.toISOString(),
    };
    if (input.event !== undefined) headers[TOPIC_HEADER] = input.event;
    return { headers, body: input.payload };
  },
};
