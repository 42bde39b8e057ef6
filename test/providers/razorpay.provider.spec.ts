import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it, jest } from '@jest/globals';
import Razorpay from 'razorpay';
import {
  IncomingWebhook,
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
  type WebhookHeaders,
} from '../../lib/index.js';
import { razorpayProvider } from '../../lib/providers/razorpay.provider.js';
import { flipByte, reasonOf } from '../core/rejections.js';
import { razorpaySender } from '../senders/razorpay.sender.js';

const SECRET = 'Zk3pQ9vL2mX8cR5t';
const OLD_SECRET = 'previous-webhook-secret';
const EVENT_ID = 'OXm1aB2cD3eF4g';
/** A `refund.processed` event as Razorpay posts it (compact JSON). */
const EVENT =
  '{"entity":"event","account_id":"acc_BFQ7uQEaa7j2z7","event":"refund.processed","contains":["refund","payment"],' +
  '"payload":{"refund":{"entity":{"id":"rfnd_OXm1Qw2Er3Ty4U","entity":"refund","amount":50000,"currency":"INR",' +
  '"payment_id":"pay_OXkqwT1sZb3Lm9","notes":{"reason":"Doppelbuchung – zurück"},"status":"processed",' +
  '"speed_processed":"normal","created_at":1718287401}}},"created_at":1718287402}';
const BODY = Buffer.from(EVENT, 'utf8');

// The test vector of Razorpay's own SDK (test/utils/razorpay-utils.spec.js of razorpay-node).
const VECTOR = {
  body: '{"a":1,"b":2,"c":{"d":3}}',
  secret: '123456',
  signature: '2fe04e22977002e6c7cb553adab8b460cb9e2a4970d5953cb27a8472752e3bbc',
};

/** Razorpay's documented scheme by hand: hex HMAC-SHA256 of the body keyed with the webhook secret. */
function signatureOf(body: string | Buffer, secret = SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function digestOf(hex: string): string {
  return createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex').slice(0, 32);
}

function verify(headers: WebhookHeaders, rawBody: Buffer | string = BODY, secret: string | string[] = SECRET) {
  return verifyWebhook({ provider: razorpayProvider, secret, headers, rawBody: Buffer.from(rawBody) });
}

const sdkAccepts = (body: Buffer | string, signature: string, secret = SECRET) =>
  Razorpay.validateWebhookSignature(body.toString(), signature, secret);

describe('razorpay provider', () => {
  describe("Razorpay's SDK test vector", () => {
    it('verifies it, and refuses it with another secret or a changed byte', () => {
      expect(sdkAccepts(VECTOR.body, VECTOR.signature, VECTOR.secret)).toBe(true);
      const headers = { 'x-razorpay-signature': VECTOR.signature };
      expect(verify(headers, VECTOR.body, VECTOR.secret)).toEqual({
        deliveryId: digestOf(VECTOR.signature),
        event: undefined,
        timestamp: undefined,
      });
      expect(reasonOf(() => verify(headers, VECTOR.body, '1234567'))).toBe('invalid_signature');
      const body = Buffer.from(VECTOR.body);
      for (let index = 0; index < body.length; index += 1) {
        expect(reasonOf(() => verify(headers, flipByte(body, index, 0x04), VECTOR.secret))).toBe('invalid_signature');
      }
    });
  });

  describe("against Razorpay's SDK (it verifies, it does not sign)", () => {
    it('writes what validateWebhookSignature accepts: event id, body event, no timestamp', () => {
      const signed = signWebhook({ provider: razorpayProvider, secret: SECRET, payload: BODY, id: EVENT_ID });
      expect(signed.headers).toEqual({
        'content-type': 'application/json',
        'x-razorpay-signature': signatureOf(BODY),
        'x-razorpay-event-id': EVENT_ID,
      });
      expect(signed.body.equals(BODY)).toBe(true);
      expect(sdkAccepts(signed.body, signed.headers['x-razorpay-signature']!)).toBe(true);
      expect(verify(signed.headers, signed.body)).toEqual({
        deliveryId: EVENT_ID,
        event: 'refund.processed',
        timestamp: undefined,
      });
    });

    it('has the SDK refuse what we sign once a byte of the body or the secret changes, as we do', () => {
      const signed = signWebhook({ provider: razorpayProvider, secret: SECRET, payload: BODY, id: EVENT_ID });
      const signature = signed.headers['x-razorpay-signature']!;
      for (let index = 0; index < BODY.length; index += 7) {
        const tampered = flipByte(signed.body, index, 0x01);
        expect(sdkAccepts(tampered, signature)).toBe(false);
        expect(reasonOf(() => verify(signed.headers, tampered))).toBe('invalid_signature');
      }
      expect(sdkAccepts(signed.body, signature, OLD_SECRET)).toBe(false);
      expect(reasonOf(() => verify(signed.headers, signed.body, OLD_SECRET))).toBe('invalid_signature');
    });

    it('writes a Razorpay-shaped event id when none is given', () => {
      const signed = signWebhook({ provider: razorpayProvider, secret: SECRET, payload: BODY });
      expect(signed.headers['x-razorpay-event-id']).toMatch(/^[0-9A-Za-z]{14}$/);
      expect(verify(signed.headers, signed.body).deliveryId).toBe(signed.headers['x-razorpay-event-id']);
    });
  });

  describe('the delivery id and the event', () => {
    const signature = signatureOf(BODY);

    it('is X-Razorpay-Event-Id, else a digest of the signature', () => {
      expect(verify({ 'x-razorpay-signature': signature, 'x-razorpay-event-id': EVENT_ID }).deliveryId).toBe(EVENT_ID);
      expect(verify({ 'x-razorpay-signature': signature, 'x-razorpay-event-id': '' }).deliveryId).toBe(
        digestOf(signature),
      );
      expect(verify({ 'x-razorpay-signature': signature }).deliveryId).toBe(digestOf(signature));
    });

    it('refuses an X-Razorpay-Event-Id sent twice', () => {
      expect(
        reasonOf(() => verify({ 'x-razorpay-signature': signature, 'x-razorpay-event-id': [EVENT_ID, 'other'] })),
      ).toBe('malformed_signature');
    });

    it('reads the event from the body only on first use: verifying does not parse it', () => {
      const delivery = new IncomingWebhook(
        { 'x-razorpay-signature': signature, 'x-razorpay-event-id': EVENT_ID },
        BODY,
      );
      const json = jest.spyOn(delivery, 'json');
      const keys = razorpayProvider.prepareKeys({ secrets: [SECRET] });
      const result = razorpayProvider.verify(delivery, keys, { toleranceSeconds: 300, now: new Date() });
      expect(result.deliveryId).toBe(EVENT_ID);
      expect(json).not.toHaveBeenCalled();
      expect(result.event).toBe('refund.processed');
      expect(json).toHaveBeenCalled();
    });

    it('verifies a signed body that is not JSON or has no string event, with no event', () => {
      for (const body of ['not json', '[]', '{"event":42.5e400}', '']) {
        const result = verify({ 'x-razorpay-signature': signatureOf(body), 'x-razorpay-event-id': EVENT_ID }, body);
        expect(result.deliveryId).toBe(EVENT_ID);
        expect(result.event).toBeUndefined();
      }
    });
  });

  describe('rotation and hostile headers', () => {
    it('verifies with [new, old] secrets a delivery signed with either, and signs with the first', () => {
      for (const secret of [SECRET, OLD_SECRET]) {
        const headers = { 'x-razorpay-signature': signatureOf(BODY, secret), 'x-razorpay-event-id': EVENT_ID };
        expect(verify(headers, BODY, [SECRET, OLD_SECRET]).event).toBe('refund.processed');
      }
      const signed = signWebhook({ provider: razorpayProvider, secret: [SECRET, OLD_SECRET], payload: BODY });
      expect(signed.headers['x-razorpay-signature']).toBe(signatureOf(BODY));
    });

    it.each([
      ['absent', {}, 'missing_signature'],
      ['empty', { 'x-razorpay-signature': '' }, 'missing_signature'],
      ['sent twice', { 'x-razorpay-signature': [signatureOf(BODY), signatureOf(BODY)] }, 'malformed_signature'],
      [
        'joined by Node',
        { 'x-razorpay-signature': `${signatureOf(BODY)}, ${signatureOf(BODY)}` },
        'malformed_signature',
      ],
      ['not hex', { 'x-razorpay-signature': 'sdfafds' }, 'malformed_signature'],
      [
        'in base64',
        { 'x-razorpay-signature': Buffer.from(signatureOf(BODY), 'hex').toString('base64') },
        'malformed_signature',
      ],
      ['with a sha256= prefix', { 'x-razorpay-signature': `sha256=${signatureOf(BODY)}` }, 'malformed_signature'],
      [
        'of SHA-1 length',
        { 'x-razorpay-signature': createHmac('sha1', SECRET).update(BODY).digest('hex') },
        'malformed_signature',
      ],
    ] as const)('refuses a signature header %s', (_name, headers, reason) => {
      expect(reasonOf(() => verify(headers))).toBe(reason);
    });
  });

  it('needs a secret', () => {
    const headers = { 'x-razorpay-signature': signatureOf(BODY) };
    expect(() => verifyWebhook({ provider: razorpayProvider, headers, rawBody: BODY })).toThrow(
      WebhookConfigurationError,
    );
  });

  describe('the sender fixture', () => {
    const url = 'https://hooks.example.com/webhooks/razorpay';

    it('is a delivery the provider verifies, the SDK accepts and the floor checks; one changed byte fails all three', async () => {
      const now = new Date();
      const delivery = await razorpaySender.delivery({ url, now });
      const verifyBody = (rawBody: Buffer) =>
        verifyWebhook({
          provider: razorpayProvider,
          secret: razorpaySender.secret,
          headers: delivery.headers,
          rawBody,
          now,
        });
      expect(verifyBody(delivery.body)).toEqual({ ...razorpaySender.expected, timestamp: undefined });
      expect(await razorpaySender.sdkAccepts!({ delivery, url, now })).toBe(true);
      expect(razorpaySender.floor({ delivery, url })).toBe(true);
      const tampered = { ...delivery, body: flipByte(delivery.body, 50, 0x01) };
      expect(reasonOf(() => verifyBody(tampered.body))).toBe('invalid_signature');
      expect(await razorpaySender.sdkAccepts!({ delivery: tampered, url, now })).toBe(false);
      expect(razorpaySender.floor({ delivery: tampered, url })).toBe(false);
    });
  });
});
