import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { signWebhook, verifyWebhook, WebhookConfigurationError, WebhookVerifier } from '../../lib/index.js';
import type { WebhookHeaders } from '../../lib/index.js';
import { shopifyProvider } from '../../lib/providers/shopify.provider.js';
import { flipByte, reasonOf } from '../core/rejections.js';
import { SHOPIFY_ORDER_BODY, shopifyApiValidates, shopifySender } from '../senders/shopify.sender.js';

const SECRET = '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';
const WEBHOOK_ID = 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043';

/**
 * Shopify's documented scheme as `@shopify/shopify-api` writes it in its own test helper
 * (`test-helpers/get-hmac.ts`): `createHmac('sha256', apiSecretKey).update(body, 'utf8').digest('base64')`.
 */
function getHmac(body: string, apiSecretKey = SECRET): string {
  return createHmac('sha256', apiSecretKey).update(body, 'utf8').digest('base64');
}

function headersFor(hmac: string, extra: Record<string, string | string[]> = {}): WebhookHeaders {
  return {
    'x-shopify-hmac-sha256': hmac,
    'x-shopify-webhook-id': WEBHOOK_ID,
    'x-shopify-topic': 'orders/create',
    'x-shopify-shop-domain': 'cafe-joao.myshopify.com',
    'x-shopify-api-version': '2024-04',
    ...extra,
  };
}

function verify(
  headers: WebhookHeaders,
  body: string | Buffer = SHOPIFY_ORDER_BODY,
  secret: string | string[] = SECRET,
) {
  return verifyWebhook({ provider: shopifyProvider, secret, headers, rawBody: Buffer.from(body) });
}

describe('shopify provider', () => {
  describe("Shopify's documented scheme (its SDK needs Node 22 and is not installed)", () => {
    it('verifies a body signed as the SDK signs it: the webhook id is the id, the topic the event, no timestamp', () => {
      expect(verify(headersFor(getHmac(SHOPIFY_ORDER_BODY)))).toEqual({
        deliveryId: WEBHOOK_ID,
        event: 'orders/create',
        timestamp: undefined,
      });
    });

    it('refuses it once any byte of the body changes', () => {
      const headers = headersFor(getHmac(SHOPIFY_ORDER_BODY));
      const body = Buffer.from(SHOPIFY_ORDER_BODY);
      for (let offset = 0; offset < body.length; offset += 5) {
        expect(reasonOf(() => verify(headers, flipByte(body, offset, 0x01)))).toBe('invalid_signature');
      }
      expect(reasonOf(() => verify(headers, `${SHOPIFY_ORDER_BODY} `))).toBe('invalid_signature');
    });

    it('writes what the SDK check accepts, and that check refuses a one-byte change or another secret', async () => {
      const delivery = await shopifySender.delivery({ url: 'https://unused.example/', now: new Date() });
      expect(delivery.headers['X-Shopify-Hmac-Sha256']).toBe(getHmac(SHOPIFY_ORDER_BODY));
      expect(await shopifySender.sdkAccepts!({ delivery, url: 'https://unused.example/', now: new Date() })).toBe(true);
      expect(shopifyApiValidates({ ...delivery, body: flipByte(delivery.body, 20, 0x01) }, SECRET)).toBe(false);
      expect(shopifyApiValidates(delivery, `${SECRET}x`)).toBe(false);
      expect({ ...verify(delivery.headers, delivery.body) }).toEqual({
        ...shopifySender.expected,
        timestamp: undefined,
      });
      expect(shopifySender.floor({ delivery, url: 'https://unused.example/' })).toBe(true);
    });

    it('writes the webhook id, topic and triggered-at it is given', () => {
      const timestamp = new Date('2024-05-01T12:00:00.123Z');
      const signed = signWebhook({
        provider: shopifyProvider,
        secret: SECRET,
        id: 'wh-1',
        event: 'app/uninstalled',
        timestamp,
        payload: { id: 1 },
      });
      expect(signed.headers).toEqual({
        'content-type': 'application/json',
        'x-shopify-hmac-sha256': getHmac('{"id":1}'),
        'x-shopify-webhook-id': 'wh-1',
        'x-shopify-topic': 'app/uninstalled',
        'x-shopify-triggered-at': '2024-05-01T12:00:00.123Z',
      });
      expect(verify(signed.headers, signed.body)).toEqual({
        deliveryId: 'wh-1',
        event: 'app/uninstalled',
        timestamp: undefined,
      });
    });
  });

  describe('the headers Shopify does not sign', () => {
    const hmac = getHmac(SHOPIFY_ORDER_BODY);

    it('takes no window from X-Shopify-Triggered-At and does not report it: it is not signed', () => {
      for (const triggeredAt of ['2001-01-01T00:00:00Z', '2999-01-01T00:00:00.123456789Z', 'garbage']) {
        const headers = headersFor(hmac, { 'x-shopify-triggered-at': triggeredAt });
        expect(verify(headers).timestamp).toBeUndefined();
      }
      const repeated = headersFor(hmac, { 'x-shopify-triggered-at': ['a', 'b'] });
      expect(verify(repeated).deliveryId).toBe(WEBHOOK_ID);
    });

    it('reads the id and topic as sent, since they are not signed (documented)', () => {
      const headers = headersFor(hmac, { 'x-shopify-webhook-id': 'other', 'x-shopify-topic': 'orders/paid' });
      expect(verify(headers)).toEqual({ deliveryId: 'other', event: 'orders/paid', timestamp: undefined });
    });

    it('requires the webhook id, as the SDK does; a missing topic is no event', () => {
      const withoutId = headersFor(hmac);
      delete (withoutId as Record<string, unknown>)['x-shopify-webhook-id'];
      expect(reasonOf(() => verify(withoutId))).toBe('malformed_signature');
      expect(reasonOf(() => verify(headersFor(hmac, { 'x-shopify-webhook-id': '' })))).toBe('malformed_signature');
      const withoutTopic = headersFor(hmac);
      delete (withoutTopic as Record<string, unknown>)['x-shopify-topic'];
      expect(verify(withoutTopic).event).toBeUndefined();
    });

    it('refuses a repeated id or topic', () => {
      expect(reasonOf(() => verify(headersFor(hmac, { 'x-shopify-webhook-id': [WEBHOOK_ID, 'x'] })))).toBe(
        'malformed_signature',
      );
      expect(reasonOf(() => verify(headersFor(hmac, { 'x-shopify-topic': ['orders/create', 'x'] })))).toBe(
        'malformed_signature',
      );
    });

    it('accepts header names in the case Shopify writes them', () => {
      const headers = {
        'X-Shopify-Hmac-Sha256': hmac,
        'X-Shopify-Webhook-Id': WEBHOOK_ID,
        'X-Shopify-Topic': 'orders/create',
      };
      expect(verify(headers).event).toBe('orders/create');
    });
  });

  describe('signatures and secrets', () => {
    it('verifies with a rotation list, signed with either secret', () => {
      const old = 'shpss_old0000000000000000000000000';
      for (const secret of [SECRET, old]) {
        expect(verify(headersFor(getHmac(SHOPIFY_ORDER_BODY, secret)), SHOPIFY_ORDER_BODY, [SECRET, old]).event).toBe(
          'orders/create',
        );
      }
      expect(reasonOf(() => verify(headersFor(getHmac(SHOPIFY_ORDER_BODY, old))))).toBe('invalid_signature');
    });

    it('refuses a missing, empty, repeated or malformed HMAC', () => {
      const hmac = getHmac(SHOPIFY_ORDER_BODY);
      const without = headersFor(hmac);
      delete (without as Record<string, unknown>)['x-shopify-hmac-sha256'];
      expect(reasonOf(() => verify(without))).toBe('missing_signature');
      expect(reasonOf(() => verify(headersFor('')))).toBe('missing_signature');
      expect(reasonOf(() => verify(headersFor([hmac, hmac] as unknown as string)))).toBe('malformed_signature');
      const hex = Buffer.from(hmac, 'base64').toString('hex');
      const urlSafe = hmac.replace(/\+/g, '-').replace(/\//g, '_');
      for (const bad of [hex, hmac.slice(4), hmac.replace(/=$/, ''), urlSafe === hmac ? '*'.repeat(44) : urlSafe]) {
        expect(reasonOf(() => verify(headersFor(bad)))).toBe('malformed_signature');
      }
    });

    it('needs a secret', () => {
      expect(() => new WebhookVerifier({ provider: shopifyProvider, secret: [] })).toThrow(WebhookConfigurationError);
    });
  });
});
