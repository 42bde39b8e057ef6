import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { WebhooksHelper } from 'square';
import {
  IncomingWebhook,
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
  WebhookVerifier,
} from '../../lib/index.js';
import type { WebhookHeaders } from '../../lib/index.js';
import { squareProvider } from '../../lib/providers/square.provider.js';
import { flipByte, reasonOf } from '../core/rejections.js';
import { SQUARE_PAYMENT_BODY, squareSender } from '../senders/square.sender.js';

const KEY = 'Tq9vX3mYb2Lr8Kd1Ws5Hn0';
const URL_ = 'https://hooks.example.com/webhooks/square';

// Published vectors: the webhook tests shared by Square's SDKs (Node, Python, Go, Java, PHP, Ruby).
const VECTORS = [
  {
    label: 'the test notification',
    body: '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}',
    signature: 'GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=',
    key: 'Ibxx_5AKakO-3qeNVR61Dw',
    url: 'https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9',
  },
  {
    label: 'unescaped characters',
    body: '{"data":{"type":"webhooks","id":"fake_id"}}',
    signature: 'W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA=',
    key: 'signature-key',
    url: 'https://webhook.site/webhooks',
  },
  {
    label: 'escaped characters',
    body: '{"data":{"type":"webhooks","id":">id<"}}',
    signature: 'Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U=',
    key: 'signature-key',
    url: 'https://webhook.site/webhooks',
  },
];

function verify(
  headers: WebhookHeaders,
  body: string | Buffer = SQUARE_PAYMENT_BODY,
  options: { url?: string; secret?: string | string[] } = {},
) {
  const { url = URL_, secret = KEY } = options;
  return verifyWebhook({ provider: squareProvider, secret, headers, rawBody: Buffer.from(body), url });
}

const signatureOf = (body: string | Buffer, url = URL_, key = KEY) =>
  createHmac('sha256', key).update(url).update(body).digest('base64');

describe('square provider', () => {
  describe("the published vectors of Square's SDKs", () => {
    it.each(VECTORS)(
      'verifies $label, and refuses it with another key, URL or body byte',
      ({ body, signature, key, url }) => {
        const headers = { 'x-square-hmacsha256-signature': signature };
        const result = verify(headers, body, { url, secret: key });
        expect(result.timestamp).toBeUndefined();
        expect(reasonOf(() => verify(headers, body, { url, secret: `${key}x` }))).toBe('invalid_signature');
        expect(reasonOf(() => verify(headers, body, { url: `${url}/`, secret: key }))).toBe('invalid_signature');
        const bytes = Buffer.from(body);
        for (let offset = 0; offset < bytes.length; offset += 3) {
          expect(reasonOf(() => verify(headers, flipByte(bytes, offset, 0x04), { url, secret: key }))).toBe(
            'invalid_signature',
          );
        }
      },
    );

    it('reads the test notification: event_id is the id, type the event', () => {
      const [vector] = VECTORS;
      const result = verify({ 'x-square-hmacsha256-signature': vector!.signature }, vector!.body, {
        url: vector!.url,
        secret: vector!.key,
      });
      expect({ ...result }).toEqual({
        deliveryId: 'ac3ac95b-f97d-458c-a6e6-18981597e05f',
        event: 'webhooks.test_notification',
        timestamp: undefined,
      });
    });
  });

  describe("against square's WebhooksHelper.verifySignature", () => {
    it('writes what the SDK accepts, and the SDK refuses a one-byte change of the body, the URL or the key', async () => {
      const delivery = await squareSender.delivery({ url: URL_, now: new Date() });
      expect(await squareSender.sdkAccepts!({ delivery, url: URL_, now: new Date() })).toBe(true);
      const body = delivery.body.toString('utf8');
      const signatureHeader = delivery.headers['X-Square-Hmacsha256-Signature']!;
      const check = (requestBody: string, notificationUrl = URL_, signatureKey = KEY) =>
        WebhooksHelper.verifySignature({ requestBody, signatureHeader, signatureKey, notificationUrl });
      expect(await check(body.replace('4200', '4201'))).toBe(false);
      expect(await check(body, `${URL_}?`)).toBe(false);
      expect(await check(body, URL_, `${KEY}x`)).toBe(false);
    });

    it('verifies the fixture delivery with the facts it expects', async () => {
      const delivery = await squareSender.delivery({ url: URL_, now: new Date() });
      expect({ ...verify(delivery.headers, delivery.body) }).toEqual({
        ...squareSender.expected,
        timestamp: undefined,
      });
      expect(squareSender.floor({ delivery, url: URL_ })).toBe(true);
      expect(squareSender.floor({ delivery, url: `${URL_}/` })).toBe(false);
    });

    it('agrees with the SDK on every signature over the published vectors', async () => {
      for (const { body, signature, key, url } of VECTORS) {
        const ours = signWebhook({ provider: squareProvider, secret: key, url, payload: body });
        expect(ours.headers['x-square-hmacsha256-signature']).toBe(signature);
        expect(
          await WebhooksHelper.verifySignature({
            requestBody: body,
            signatureHeader: signature,
            signatureKey: key,
            notificationUrl: url,
          }),
        ).toBe(true);
      }
    });
  });

  describe('the notification URL', () => {
    it('is signed exactly: scheme, trailing slash, query and port all count', () => {
      const headers = { 'x-square-hmacsha256-signature': signatureOf(SQUARE_PAYMENT_BODY) };
      expect(verify(headers).event).toBe('payment.updated');
      for (const url of [`${URL_}/`, URL_.replace('https', 'http'), `${URL_}?a=1`, URL_.replace('.com', '.com:443')]) {
        expect(reasonOf(() => verify(headers, SQUARE_PAYMENT_BODY, { url }))).toBe('invalid_signature');
      }
    });

    it('is required: without one, verifying and signing are configuration errors', () => {
      const headers = { 'x-square-hmacsha256-signature': signatureOf(SQUARE_PAYMENT_BODY) };
      const rawBody = Buffer.from(SQUARE_PAYMENT_BODY);
      expect(() => verifyWebhook({ provider: squareProvider, secret: KEY, headers, rawBody })).toThrow(
        WebhookConfigurationError,
      );
      expect(() => signWebhook({ provider: squareProvider, secret: KEY, payload: '{}' })).toThrow(
        WebhookConfigurationError,
      );
    });
  });

  describe('delivery id and event, read from the body only when asked for', () => {
    it('parses nothing to verify; event_id and type are read on first access', () => {
      class CountingDelivery extends IncomingWebhook {
        parses = 0;
        override json(): unknown {
          this.parses += 1;
          return super.json();
        }
      }
      const delivery = new CountingDelivery(
        { 'x-square-hmacsha256-signature': signatureOf(SQUARE_PAYMENT_BODY) },
        Buffer.from(SQUARE_PAYMENT_BODY),
        { url: URL_ },
      );
      const keys = squareProvider.prepareKeys({ secrets: [KEY] });
      const verified = squareProvider.verify(delivery, keys, { toleranceSeconds: 300, now: new Date() });
      expect(delivery.parses).toBe(0);
      expect(verified.deliveryId).toBe('13b867cf-db3d-4b1c-90b6-2f32a9d78124');
      expect(verified.event).toBe('payment.updated');
      expect(delivery.parses).toBeGreaterThan(0);
    });

    it('falls back to a digest id for a body without event_id, and never throws for a body that is not JSON', () => {
      for (const body of ['{"type":"payment.created"}', 'not json', '[1,2]', '{"event_id":"","type":7}', '']) {
        const result = verify({ 'x-square-hmacsha256-signature': signatureOf(body) }, body);
        expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
        expect(result.event === undefined || typeof result.event === 'string').toBe(true);
      }
      expect(
        verify(
          { 'x-square-hmacsha256-signature': signatureOf('{"type":"payment.created"}') },
          '{"type":"payment.created"}',
        ).event,
      ).toBe('payment.created');
    });
  });

  describe('signatures and secrets', () => {
    it('verifies with a rotation list, signed with either key', () => {
      const old = 'old-signature-key';
      for (const key of [KEY, old]) {
        const headers = { 'x-square-hmacsha256-signature': signatureOf(SQUARE_PAYMENT_BODY, URL_, key) };
        expect(verify(headers, SQUARE_PAYMENT_BODY, { secret: [KEY, old] }).event).toBe('payment.updated');
      }
      const headers = { 'x-square-hmacsha256-signature': signatureOf(SQUARE_PAYMENT_BODY, URL_, old) };
      expect(reasonOf(() => verify(headers))).toBe('invalid_signature');
    });

    it('refuses a missing, empty, repeated or malformed signature; the legacy SHA-1 header is not one', () => {
      const signature = signatureOf(SQUARE_PAYMENT_BODY);
      expect(reasonOf(() => verify({}))).toBe('missing_signature');
      expect(reasonOf(() => verify({ 'x-square-hmacsha256-signature': '' }))).toBe('missing_signature');
      const sha1 = createHmac('sha1', KEY).update(URL_).update(SQUARE_PAYMENT_BODY).digest('base64');
      expect(reasonOf(() => verify({ 'x-square-signature': sha1 }))).toBe('missing_signature');
      expect(reasonOf(() => verify({ 'x-square-hmacsha256-signature': [signature, signature] }))).toBe(
        'malformed_signature',
      );
      const hex = Buffer.from(signature, 'base64').toString('hex');
      for (const bad of [sha1, hex, signature.slice(4), signature.replace(/=$/, ''), `${signature} `]) {
        expect(reasonOf(() => verify({ 'x-square-hmacsha256-signature': bad }))).toBe('malformed_signature');
      }
    });

    it('needs a secret', () => {
      expect(() => new WebhookVerifier({ provider: squareProvider, secret: [] })).toThrow(WebhookConfigurationError);
    });
  });
});
