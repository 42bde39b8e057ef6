import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it, jest } from '@jest/globals';
import {
  IncomingWebhook,
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
  type WebhookHeaders,
} from '../../lib/index.js';
import { lemonSqueezyProvider } from '../../lib/providers/lemonsqueezy.provider.js';
import { flipByte, reasonOf } from '../core/rejections.js';
import { lemonSqueezyDocumentedCheck, lemonSqueezySender } from '../senders/lemonsqueezy.sender.js';

// Lemon Squeezy has no SDK that verifies webhooks and publishes no worked example with a
// secret: what it publishes is the Node.js check of its "Signing requests" guide, run here as
// written (`lemonSqueezyDocumentedCheck`).
const SECRET = 'Kx81mQ2pZ7vN4cR0';
const OLD_SECRET = 'old-signing-secret-2023';
/** A `subscription_payment_success` event as Lemon Squeezy posts it (PHP's json_encode: escaped slashes). */
const EVENT =
  '{"meta":{"event_name":"subscription_payment_success","webhook_id":"0b7c2e4d-1f3a-4b5c-8d9e-0f1a2b3c4d5e"},' +
  '"data":{"type":"subscription-invoices","id":"1932761","attributes":{"store_id":48211,"subscription_id":401233,' +
  '"billing_reason":"renewal","card_brand":"visa","card_last_four":"4242","currency":"EUR","status":"paid",' +
  '"total":3451,"urls":{"invoice_url":"https:\\/\\/app.lemonsqueezy.com\\/my-orders\\/a1b2?signature=9f"},' +
  '"created_at":"2024-06-12T14:03:27.000000Z"}}}';
const BODY = Buffer.from(EVENT, 'utf8');

/** The guide's scheme by hand: hex HMAC-SHA256 of the body keyed with the signing secret. */
function signatureOf(body: string | Buffer, secret = SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function digestOf(hex: string): string {
  return createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex').slice(0, 32);
}

function verify(headers: WebhookHeaders, rawBody: Buffer | string = BODY, secret: string | string[] = SECRET) {
  return verifyWebhook({ provider: lemonSqueezyProvider, secret, headers, rawBody: Buffer.from(rawBody) });
}

describe('lemonsqueezy provider', () => {
  describe("against the check of Lemon Squeezy's guide (no SDK)", () => {
    it('verifies a delivery signed as the guide describes: digest id, the signed event name, no timestamp', () => {
      const signature = signatureOf(BODY);
      expect(lemonSqueezyDocumentedCheck(BODY, signature, SECRET)).toBe(true);
      const result = verify({ 'x-signature': signature, 'x-event-name': 'subscription_payment_success' });
      expect(result).toEqual({
        deliveryId: digestOf(signature),
        event: 'subscription_payment_success',
        timestamp: undefined,
      });
    });

    it('writes what the guide accepts; one changed byte of the body, or another secret, makes both refuse', () => {
      const signed = signWebhook({ provider: lemonSqueezyProvider, secret: SECRET, payload: BODY });
      expect(signed.headers).toEqual({
        'content-type': 'application/json',
        'x-event-name': 'subscription_payment_success',
        'x-signature': signatureOf(BODY),
      });
      expect(signed.body.equals(BODY)).toBe(true);
      expect(lemonSqueezyDocumentedCheck(signed.body, signed.headers['x-signature'], SECRET)).toBe(true);
      for (let index = 0; index < BODY.length; index += 7) {
        const tampered = flipByte(signed.body, index, 0x01);
        expect(lemonSqueezyDocumentedCheck(tampered, signed.headers['x-signature'], SECRET)).toBe(false);
        expect(reasonOf(() => verify(signed.headers, tampered))).toBe('invalid_signature');
      }
      expect(lemonSqueezyDocumentedCheck(signed.body, signed.headers['x-signature'], OLD_SECRET)).toBe(false);
      expect(reasonOf(() => verify(signed.headers, BODY, OLD_SECRET))).toBe('invalid_signature');
    });

    it('hashes the escaped slashes as sent: the same JSON without them is another body', () => {
      const unescaped = JSON.stringify(JSON.parse(EVENT));
      expect(unescaped).not.toBe(EVENT);
      expect(reasonOf(() => verify({ 'x-signature': signatureOf(BODY) }, unescaped))).toBe('invalid_signature');
    });
  });

  describe('the event', () => {
    const signature = signatureOf(BODY);

    it('is the signed meta.event_name, whatever the unsigned X-Event-Name says', () => {
      expect(verify({ 'x-signature': signature, 'x-event-name': 'order_refunded' }).event).toBe(
        'subscription_payment_success',
      );
      expect(verify({ 'x-signature': signature }).event).toBe('subscription_payment_success');
    });

    it('is X-Event-Name for a body without meta.event_name, and absent without either', () => {
      for (const body of ['{"data":{}}', 'not json', '{"meta":{"event_name":""}}', '']) {
        const headers = { 'x-signature': signatureOf(body), 'x-event-name': 'order_created' };
        expect(verify(headers, body).event).toBe('order_created');
        expect(verify({ 'x-signature': signatureOf(body) }, body).event).toBeUndefined();
      }
    });

    it('refuses an X-Event-Name sent twice', () => {
      expect(reasonOf(() => verify({ 'x-signature': signature, 'x-event-name': ['a', 'b'] }))).toBe(
        'malformed_signature',
      );
    });

    it('is read from the body only on first use: verifying does not parse it', () => {
      const delivery = new IncomingWebhook({ 'x-signature': signature }, BODY);
      const json = jest.spyOn(delivery, 'json');
      const result = lemonSqueezyProvider.verify(delivery, lemonSqueezyProvider.prepareKeys({ secrets: [SECRET] }), {
        toleranceSeconds: 300,
        now: new Date(),
      });
      expect(result.deliveryId).toBe(digestOf(signature));
      expect(json).not.toHaveBeenCalled();
      expect(result.event).toBe('subscription_payment_success');
      expect(json).toHaveBeenCalled();
    });

    it('is written to X-Event-Name when signing: as given, else from meta.event_name', () => {
      expect(
        signWebhook({ provider: lemonSqueezyProvider, secret: SECRET, payload: BODY, event: 'order_created' }).headers[
          'x-event-name'
        ],
      ).toBe('order_created');
      expect(signWebhook({ provider: lemonSqueezyProvider, secret: SECRET, payload: 'x' }).headers).not.toHaveProperty(
        'x-event-name',
      );
    });
  });

  describe('rotation, replays and hostile headers', () => {
    it('verifies with [new, old] secrets a delivery signed with either, and signs with the first', () => {
      for (const secret of [SECRET, OLD_SECRET]) {
        const signature = signatureOf(BODY, secret);
        expect(verify({ 'x-signature': signature }, BODY, [SECRET, OLD_SECRET]).deliveryId).toBe(digestOf(signature));
      }
      const signed = signWebhook({ provider: lemonSqueezyProvider, secret: [SECRET, OLD_SECRET], payload: BODY });
      expect(signed.headers['x-signature']).toBe(signatureOf(BODY));
    });

    it('gives every copy of a delivery the same id, so a replay is a duplicate (there is no timestamp)', () => {
      const first = verify({ 'x-signature': signatureOf(BODY), 'x-event-name': 'a' });
      const replay = verify({ 'x-signature': signatureOf(BODY), 'x-event-name': 'b' });
      expect(replay.deliveryId).toBe(first.deliveryId);
    });

    it('accepts the hex in capitals (the same bytes), which the guide, comparing text, refuses', () => {
      const upper = signatureOf(BODY).toUpperCase();
      expect(verify({ 'x-signature': upper }).deliveryId).toBe(digestOf(signatureOf(BODY)));
      expect(lemonSqueezyDocumentedCheck(BODY, upper, SECRET)).toBe(false);
    });

    it.each([
      ['absent', {}, 'missing_signature'],
      ['empty', { 'x-signature': '' }, 'missing_signature'],
      ['sent twice', { 'x-signature': [signatureOf(BODY), signatureOf(BODY)] }, 'malformed_signature'],
      ['joined by Node', { 'x-signature': `${signatureOf(BODY)}, ${signatureOf(BODY)}` }, 'malformed_signature'],
      ['with a sha256= prefix', { 'x-signature': `sha256=${signatureOf(BODY)}` }, 'malformed_signature'],
      ['in base64', { 'x-signature': Buffer.from(signatureOf(BODY), 'hex').toString('base64') }, 'malformed_signature'],
      ['cut short', { 'x-signature': signatureOf(BODY).slice(0, 63) }, 'malformed_signature'],
      [
        'of SHA-1 length',
        { 'x-signature': createHmac('sha1', SECRET).update(BODY).digest('hex') },
        'malformed_signature',
      ],
    ] as const)('refuses a signature header %s', (_name, headers, reason) => {
      expect(reasonOf(() => verify(headers))).toBe(reason);
    });
  });

  it('needs a secret', () => {
    const headers = { 'x-signature': signatureOf(BODY) };
    expect(() => verifyWebhook({ provider: lemonSqueezyProvider, headers, rawBody: BODY })).toThrow(
      WebhookConfigurationError,
    );
  });

  describe('the sender fixture', () => {
    const url = 'https://hooks.example.com/webhooks/lemonsqueezy';

    it('is a delivery the provider verifies, the guide accepts and the floor checks; one changed byte fails all three', async () => {
      const now = new Date();
      const delivery = await lemonSqueezySender.delivery({ url, now });
      const verifyBody = (rawBody: Buffer) =>
        verifyWebhook({
          provider: lemonSqueezyProvider,
          secret: lemonSqueezySender.secret,
          headers: delivery.headers,
          rawBody,
          now,
        });
      expect(verifyBody(delivery.body)).toEqual({ ...lemonSqueezySender.expected, timestamp: undefined });
      expect(await lemonSqueezySender.sdkAccepts!({ delivery, url, now })).toBe(true);
      expect(lemonSqueezySender.floor({ delivery, url })).toBe(true);
      const tampered = { ...delivery, body: flipByte(delivery.body, 60, 0x01) };
      expect(reasonOf(() => verifyBody(tampered.body))).toBe('invalid_signature');
      expect(await lemonSqueezySender.sdkAccepts!({ delivery: tampered, url, now })).toBe(false);
      expect(lemonSqueezySender.floor({ delivery: tampered, url })).toBe(false);
    });
  });
});
