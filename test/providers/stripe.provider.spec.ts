import { createHmac } from 'node:crypto';
import { describe, expect, it, jest } from '@jest/globals';
import Stripe from 'stripe';
import {
  IncomingWebhook,
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
  type WebhookHeaders,
} from '../../lib/index.js';
import { stripeProvider } from '../../lib/providers/stripe.provider.js';
import { flipByte, reasonOf } from '../core/rejections.js';
import { stripeSender } from '../senders/stripe.sender.js';

const SECRET = 'whsec_6Yk0Jb1mVq9Dn3s0QeL7rXo2PcTzHu4A';
const OLD_SECRET = 'whsec_Vh2nQ8sLk1Xc5Tz9Rb3Wm7Pd0Gf4Jy6E';
const SENT = new Date('2024-06-03T09:15:42Z');
const T = SENT.getTime() / 1000;
/** A `payment_intent.succeeded` event as Stripe posts it: pretty-printed, with a trailing newline. */
const EVENT = `{
  "id": "evt_3PNZ4bLkdIwHu7ix0v1G9qTz",
  "object": "event",
  "api_version": "2024-04-10",
  "created": ${T},
  "data": {
    "object": {
      "id": "pi_3PNZ4bLkdIwHu7ix0eQeC8xL",
      "object": "payment_intent",
      "amount": 2000,
      "currency": "eur",
      "description": "Caf\u00e9 cr\u00e8me \u2615",
      "status": "succeeded"
    }
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": { "id": "req_Xk2bQ9sLk1Xc5T", "idempotency_key": "a1b2c3d4-e5f6-4789-abcd-0123456789ab" },
  "type": "payment_intent.succeeded"
}
`;
const BODY = Buffer.from(EVENT, 'utf8');

const stripe = new Stripe('sk_test_not_used_for_webhooks');

/** What Stripe's SDK writes in `Stripe-Signature` for `payload` at `timestamp` (seconds). */
function sdkHeader(payload: string | Buffer = EVENT, timestamp = T, secret = SECRET): string {
  return Stripe.webhooks.generateTestHeaderString({ payload: payload.toString(), secret, timestamp });
}

/** Stripe's SDK verdict: `constructEvent` at `now`, with its default 300 s tolerance. */
function sdkAccepts(body: Buffer, header: string, now = SENT, secret = SECRET): boolean {
  try {
    stripe.webhooks.constructEvent(body, header, secret, undefined, undefined, now.getTime());
    return true;
  } catch {
    return false;
  }
}

function verify(
  headers: WebhookHeaders,
  rawBody: Buffer = BODY,
  options: { secret?: string | string[]; now?: Date; toleranceSeconds?: number } = {},
) {
  const { secret = SECRET, now = SENT, toleranceSeconds } = options;
  return verifyWebhook({ provider: stripeProvider, secret, headers, rawBody, now, toleranceSeconds });
}

/** The hex HMAC-SHA256 of `<t>.<body>`, keyed with the secret's UTF-8 bytes: Stripe's documented scheme by hand. */
function v1(body: string | Buffer, t: number | string = T, secret = SECRET): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.`).update(body).digest('hex');
}

describe('stripe provider', () => {
  describe("against Stripe's SDK", () => {
    it('verifies what generateTestHeaderString signs: id, event and timestamp from the delivery', () => {
      const header = sdkHeader();
      expect(header).toBe(`t=${T},v1=${v1(BODY)}`);
      const result = verify({ 'stripe-signature': header, 'content-type': 'application/json; charset=utf-8' });
      expect(result).toEqual({
        deliveryId: 'evt_3PNZ4bLkdIwHu7ix0v1G9qTz',
        event: 'payment_intent.succeeded',
        timestamp: SENT,
      });
    });

    it('refuses an SDK-signed delivery with any one byte of the body changed, or another t', () => {
      const header = sdkHeader();
      for (let index = 0; index < BODY.length; index += 5) {
        const tampered = flipByte(BODY, index, 0x01);
        expect(reasonOf(() => verify({ 'stripe-signature': header }, tampered))).toBe('invalid_signature');
      }
      const signature = header.slice(header.indexOf('v1='));
      expect(reasonOf(() => verify({ 'stripe-signature': `t=${T - 1},${signature}` }))).toBe('invalid_signature');
      expect(reasonOf(() => verify({ 'stripe-signature': header }, BODY, { secret: OLD_SECRET }))).toBe(
        'invalid_signature',
      );
    });

    it('writes what constructEvent accepts, and the header the SDK would write', () => {
      const signed = signWebhook({ provider: stripeProvider, secret: SECRET, payload: BODY, timestamp: SENT });
      expect(signed.headers).toEqual({
        'content-type': 'application/json; charset=utf-8',
        'stripe-signature': sdkHeader(),
      });
      expect(signed.body.equals(BODY)).toBe(true);
      expect(sdkAccepts(signed.body, signed.headers['stripe-signature']!)).toBe(true);
      const event = stripe.webhooks.constructEvent(
        signed.body,
        signed.headers['stripe-signature']!,
        SECRET,
        300,
        undefined,
        SENT.getTime(),
      );
      expect(event.id).toBe('evt_3PNZ4bLkdIwHu7ix0v1G9qTz');
    });

    it('has the SDK refuse what we sign once a byte of the body, the t or the secret changes', () => {
      const signed = signWebhook({ provider: stripeProvider, secret: SECRET, payload: BODY, timestamp: SENT });
      const header = signed.headers['stripe-signature']!;
      for (let index = 0; index < BODY.length; index += 5) {
        expect(sdkAccepts(flipByte(signed.body, index, 0x20), header)).toBe(false);
      }
      expect(sdkAccepts(signed.body, header.replace(`t=${T}`, `t=${T + 1}`))).toBe(false);
      expect(sdkAccepts(signed.body, header, SENT, OLD_SECRET)).toBe(false);
    });

    it('uses the whole whsec_ string as the key, as the SDK does, never its base64-decoded tail', () => {
      const decodedKey = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
      const decodedSignature = createHmac('sha256', decodedKey).update(`${T}.`).update(BODY).digest('hex');
      expect(reasonOf(() => verify({ 'stripe-signature': `t=${T},v1=${decodedSignature}` }))).toBe('invalid_signature');
      expect(verify({ 'stripe-signature': `t=${T},v1=${v1(BODY)}` }).deliveryId).toBe('evt_3PNZ4bLkdIwHu7ix0v1G9qTz');
    });

    it('agrees with the SDK on the window: 300 s old is accepted, 301 s is not, a future t is', () => {
      const header = sdkHeader();
      const at = (seconds: number) => new Date(SENT.getTime() + seconds * 1000);
      expect(sdkAccepts(BODY, header, at(300))).toBe(true);
      expect(verify({ 'stripe-signature': header }, BODY, { now: at(300) }).timestamp).toEqual(SENT);
      expect(sdkAccepts(BODY, header, at(301))).toBe(false);
      expect(reasonOf(() => verify({ 'stripe-signature': header }, BODY, { now: at(301) }))).toBe(
        'timestamp_out_of_window',
      );
      // Stripe refuses only old timestamps; a t an hour ahead of the clock passes both.
      expect(sdkAccepts(BODY, header, at(-3600))).toBe(true);
      expect(verify({ 'stripe-signature': header }, BODY, { now: at(-3600) }).deliveryId).toMatch(/^evt_/);
    });

    it('agrees with the SDK that a header with only a v0 signature has nothing to check', () => {
      const header = `t=${T},v0=${v1(BODY)}`;
      expect(sdkAccepts(BODY, header)).toBe(false);
      expect(reasonOf(() => verify({ 'stripe-signature': header }))).toBe('malformed_signature');
    });
  });

  describe("the header of Stripe's documentation", () => {
    // https://docs.stripe.com/webhooks#verify-manually: the example header (no secret or body is published).
    const DOCS_HEADER =
      't=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,' +
      'v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39';

    it('is well formed: its v1 is checked (and does not match our secret), its v0 ignored', () => {
      const now = new Date(1492774577 * 1000);
      expect(reasonOf(() => verify({ 'stripe-signature': DOCS_HEADER }, BODY, { now }))).toBe('invalid_signature');
    });
  });

  describe('signatures, rotation and the window', () => {
    it('accepts any v1 that matches, skipping others and other schemes', () => {
      const header = `t=${T},v0=${'0'.repeat(64)},v1=${v1(BODY, T, OLD_SECRET)},v1=${v1(BODY)},v2=x`;
      expect(verify({ 'stripe-signature': header }).deliveryId).toBe('evt_3PNZ4bLkdIwHu7ix0v1G9qTz');
      expect(sdkAccepts(BODY, header)).toBe(true);
    });

    it('verifies with [new, old] secrets a delivery signed with either, and signs with the first', () => {
      for (const secret of [SECRET, OLD_SECRET]) {
        const result = verify({ 'stripe-signature': sdkHeader(EVENT, T, secret) }, BODY, {
          secret: [SECRET, OLD_SECRET],
        });
        expect(result.deliveryId).toBe('evt_3PNZ4bLkdIwHu7ix0v1G9qTz');
      }
      const signed = signWebhook({
        provider: stripeProvider,
        secret: [SECRET, OLD_SECRET],
        payload: BODY,
        timestamp: SENT,
      });
      expect(signed.headers['stripe-signature']).toBe(sdkHeader());
      // Both signatures while Stripe rolls a secret: the old one alone is enough for a source that kept it.
      const rolled = `t=${T},v1=${v1(BODY, T, SECRET)},v1=${v1(BODY, T, OLD_SECRET)}`;
      expect(verify({ 'stripe-signature': rolled }, BODY, { secret: OLD_SECRET }).event).toBe(
        'payment_intent.succeeded',
      );
    });

    it('turns the window off with toleranceSeconds 0', () => {
      const now = new Date(SENT.getTime() + 86_400_000);
      expect(verify({ 'stripe-signature': sdkHeader() }, BODY, { now, toleranceSeconds: 0 }).timestamp).toEqual(SENT);
      expect(reasonOf(() => verify({ 'stripe-signature': sdkHeader() }, BODY, { now }))).toBe(
        'timestamp_out_of_window',
      );
    });

    it('refuses an old delivery as out of window, whatever its signature', () => {
      const now = new Date(SENT.getTime() + 3_600_000);
      expect(reasonOf(() => verify({ 'stripe-signature': `t=${T},v1=${'0'.repeat(64)}` }, BODY, { now }))).toBe(
        'timestamp_out_of_window',
      );
    });
  });

  describe('malformed and hostile headers', () => {
    const valid = `t=${T},v1=${v1(BODY)}`;

    it.each([
      ['absent', {}, 'missing_signature'],
      ['empty', { 'stripe-signature': '' }, 'missing_signature'],
      ['sent twice', { 'stripe-signature': [valid, valid] }, 'malformed_signature'],
      ['sent twice and joined by Node', { 'stripe-signature': `${valid}, ${valid}` }, 'malformed_signature'],
      ['without t', { 'stripe-signature': `v1=${v1(BODY)}` }, 'malformed_signature'],
      ['with t but no v1', { 'stripe-signature': `t=${T}` }, 'malformed_signature'],
      ['with an empty t', { 'stripe-signature': `t=,v1=${v1(BODY)}` }, 'malformed_timestamp'],
      ['with a t that is not a number', { 'stripe-signature': `t=yesterday,v1=${v1(BODY)}` }, 'malformed_timestamp'],
      ['with a t in milliseconds', { 'stripe-signature': `t=${T}000,v1=${v1(BODY)}` }, 'malformed_timestamp'],
      ['with a v1 that is not hex', { 'stripe-signature': `t=${T},v1=${'z'.repeat(64)}` }, 'malformed_signature'],
      ['with a v1 cut short', { 'stripe-signature': `t=${T},v1=${v1(BODY).slice(0, 62)}` }, 'malformed_signature'],
      ['with a SHA-1-sized v1', { 'stripe-signature': `t=${T},v1=${'ab'.repeat(20)}` }, 'malformed_signature'],
      ['in another shape', { 'stripe-signature': v1(BODY) }, 'malformed_signature'],
    ] as const)('refuses a header %s', (_name, headers, reason) => {
      expect(reasonOf(() => verify(headers))).toBe(reason);
    });

    it('refuses a list of more than 16 signatures before hashing anything', () => {
      const many = Array.from({ length: 1000 }, () => `v1=${'0'.repeat(64)}`).join(',');
      expect(reasonOf(() => verify({ 'stripe-signature': `t=${T},${many},v1=${v1(BODY)}` }))).toBe(
        'malformed_signature',
      );
    });

    it('accepts the single signature sent as a one-element array, and in any header case', () => {
      expect(verify({ 'stripe-signature': [valid] }).deliveryId).toBe('evt_3PNZ4bLkdIwHu7ix0v1G9qTz');
      expect(verify({ 'Stripe-Signature': valid }).deliveryId).toBe('evt_3PNZ4bLkdIwHu7ix0v1G9qTz');
    });
  });

  describe('the body', () => {
    it('does not parse the body to verify it; id and event are read from it on first use', () => {
      const delivery = new IncomingWebhook({ 'stripe-signature': sdkHeader() }, BODY);
      const json = jest.spyOn(delivery, 'json');
      const keys = stripeProvider.prepareKeys({ secrets: [SECRET] });
      const result = stripeProvider.verify(delivery, keys, { toleranceSeconds: 300, now: SENT });
      expect(json).not.toHaveBeenCalled();
      expect(result.event).toBe('payment_intent.succeeded');
      expect(json).toHaveBeenCalled();
      expect(result.deliveryId).toBe('evt_3PNZ4bLkdIwHu7ix0v1G9qTz');
      expect(JSON.parse(JSON.stringify(result))).toEqual({
        timestamp: SENT.toISOString(),
        deliveryId: 'evt_3PNZ4bLkdIwHu7ix0v1G9qTz',
        event: 'payment_intent.succeeded',
      });
    });

    it('verifies a signed body that is not JSON or has no id: a digest stands in, with no event', () => {
      for (const body of ['not json', '[1,2]', '{"id":7}', '{"id":"","type":["x"]}', '']) {
        const bytes = Buffer.from(body);
        const result = verify({ 'stripe-signature': `t=${T},v1=${v1(bytes)}` }, bytes);
        expect(result.deliveryId).toMatch(body === '{"id":7}' ? /^7$/ : /^[0-9a-f]{32}$/);
        expect(result.event).toBeUndefined();
      }
    });

    it('signs the payload bytes as given; a value is sent as JSON', () => {
      const signed = signWebhook({
        provider: stripeProvider,
        secret: SECRET,
        payload: { id: 'evt_1', type: 'customer.created' },
        timestamp: SENT,
      });
      expect(signed.body.toString()).toBe('{"id":"evt_1","type":"customer.created"}');
      expect(sdkAccepts(signed.body, signed.headers['stripe-signature']!)).toBe(true);
      expect(verify(signed.headers, signed.body)).toEqual({
        deliveryId: 'evt_1',
        event: 'customer.created',
        timestamp: SENT,
      });
    });
  });

  it('needs a secret', () => {
    const headers = { 'stripe-signature': sdkHeader() };
    expect(() => verifyWebhook({ provider: stripeProvider, headers, rawBody: BODY })).toThrow(
      WebhookConfigurationError,
    );
    expect(() => verifyWebhook({ provider: stripeProvider, secret: [], headers, rawBody: BODY })).toThrow(
      WebhookConfigurationError,
    );
    expect(() => verifyWebhook({ provider: stripeProvider, secret: '', headers, rawBody: BODY })).toThrow(
      WebhookConfigurationError,
    );
  });

  describe('the sender fixture', () => {
    const url = 'https://hooks.example.com/webhooks/stripe';

    it('is a delivery the provider verifies, the SDK accepts and the floor checks; one changed byte fails all three', async () => {
      const now = new Date();
      const delivery = await stripeSender.delivery({ url, now });
      const verifyAt = (rawBody: Buffer) =>
        verifyWebhook({
          provider: stripeProvider,
          secret: stripeSender.secret,
          headers: delivery.headers,
          rawBody,
          now,
        });
      expect(verifyAt(delivery.body)).toMatchObject(stripeSender.expected);
      expect(verifyAt(delivery.body).timestamp).toEqual(new Date(Math.floor(now.getTime() / 1000) * 1000));
      expect(await stripeSender.sdkAccepts!({ delivery, url, now })).toBe(true);
      expect(stripeSender.floor({ delivery, url })).toBe(true);
      const tampered = { ...delivery, body: flipByte(delivery.body, 40, 0x01) };
      expect(reasonOf(() => verifyAt(tampered.body))).toBe('invalid_signature');
      expect(await stripeSender.sdkAccepts!({ delivery: tampered, url, now })).toBe(false);
      expect(stripeSender.floor({ delivery: tampered, url })).toBe(false);
    });
  });
});
