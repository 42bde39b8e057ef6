import crypto from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  IncomingWebhook,
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
  type WebhookHeaders,
} from '../../lib/index.js';
import { typeformProvider } from '../../lib/providers/typeform.provider.js';
import { typeformSender } from '../senders/typeform.sender.js';
import { flipByte, isRejected, reasonOf } from '../core/rejections.js';

const SECRET = '6f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e';
const EVENT_ID = '01HXA4T1V6Q3W7N5YJ2M8K0RBC';
const RESPONSE = JSON.stringify({
  event_id: EVENT_ID,
  event_type: 'form_response',
  form_response: {
    form_id: 'lT4Z3j',
    token: 'a3a12ec67a1365927098a606107fac15',
    submitted_at: '2024-05-06T12:53:20Z',
    answers: [{ type: 'text', text: 'Jo\u00e3o \u{1F600}', field: { id: 'JwWggjAKtOkA', type: 'short_text' } }],
  },
});

/** Typeform's scheme by hand: `sha256=` + base64 HMAC-SHA256 of the body. */
function sign(body: string | Buffer, secret = SECRET): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body).digest('base64')}`;
}

function verify(headers: WebhookHeaders, body: string | Buffer, options: { secret?: string | string[] } = {}) {
  return verifyWebhook({
    provider: typeformProvider,
    secret: options.secret ?? SECRET,
    headers,
    rawBody: Buffer.from(body),
  });
}

/** The Node.js check of Typeform's "Secure your webhooks", as written. */
function typeformDocsAccept(receivedSignature: string | undefined, payload: string, secret = SECRET): boolean {
  const hash = crypto.createHmac('sha256', secret).update(payload).digest('base64');
  return receivedSignature === `sha256=${hash}`;
}

describe('typeform provider', () => {
  describe("against the check of Typeform's documentation", () => {
    it('accepts what signWebhook signs, and refuses it with one byte or the secret changed', () => {
      const signed = signWebhook({ provider: typeformProvider, secret: SECRET, payload: RESPONSE });
      expect(signed.headers).toEqual({ 'content-type': 'application/json', 'typeform-signature': sign(RESPONSE) });
      expect(typeformDocsAccept(signed.headers['typeform-signature'], signed.body.toString())).toBe(true);
      for (let offset = 0; offset < signed.body.length; offset += 5) {
        expect(
          typeformDocsAccept(signed.headers['typeform-signature'], flipByte(signed.body, offset, 0x01).toString()),
        ).toBe(false);
      }
      expect(typeformDocsAccept(signed.headers['typeform-signature'], signed.body.toString(), `${SECRET}x`)).toBe(
        false,
      );
    });

    it('verifies what the documented recipe signs, and refuses one changed byte or another secret', () => {
      const headers = { 'typeform-signature': sign(RESPONSE) };
      expect(verify(headers, RESPONSE)).toEqual({ deliveryId: EVENT_ID, event: 'form_response', timestamp: undefined });
      for (let offset = 0; offset < Buffer.byteLength(RESPONSE); offset += 5) {
        expect(reasonOf(() => verify(headers, flipByte(Buffer.from(RESPONSE), offset, 0x01)))).toBe(
          'invalid_signature',
        );
      }
      expect(reasonOf(() => verify(headers, RESPONSE, { secret: `${SECRET}x` }))).toBe('invalid_signature');
    });
  });

  describe('delivery id and event', () => {
    it.each([
      ['not JSON', 'not json {'],
      ['a JSON array', '[{"event_id":"x"}]'],
      ['an object without event_id, its event_type not text', '{"event_type":{"name":"form_response"}}'],
      ['an empty body', ''],
    ])('verifies %s cleanly, with the digest as id and no event', (_label, body) => {
      const result = verify({ 'typeform-signature': sign(body) }, body);
      expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
      expect(result.event).toBeUndefined();
      expect(result.timestamp).toBeUndefined();
    });

    it('does not parse the body to verify it', () => {
      const delivery = new IncomingWebhook({ 'typeform-signature': sign(RESPONSE) }, Buffer.from(RESPONSE));
      let parses = 0;
      const json = delivery.json.bind(delivery);
      delivery.json = () => {
        parses += 1;
        return json();
      };
      const verified = typeformProvider.verify(delivery, typeformProvider.prepareKeys({ secrets: [SECRET] }), {
        toleranceSeconds: 300,
        now: new Date(),
      });
      expect(parses).toBe(0);
      expect(verified.deliveryId).toBe(EVENT_ID);
      expect(verified.event).toBe('form_response');
    });

    it('has no replay window: a years-old delivery still verifies', () => {
      const result = verifyWebhook({
        provider: typeformProvider,
        secret: SECRET,
        headers: { 'typeform-signature': sign(RESPONSE) },
        rawBody: Buffer.from(RESPONSE),
        now: new Date('2040-01-01T00:00:00Z'),
      });
      expect(result.deliveryId).toBe(EVENT_ID);
    });
  });

  describe('rotation', () => {
    it('verifies with either secret of [new, old] and signs with the first', () => {
      const next = '0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b';
      expect(verify({ 'typeform-signature': sign(RESPONSE) }, RESPONSE, { secret: [next, SECRET] }).deliveryId).toBe(
        EVENT_ID,
      );
      expect(
        verify({ 'typeform-signature': sign(RESPONSE, next) }, RESPONSE, { secret: [next, SECRET] }).deliveryId,
      ).toBe(EVENT_ID);
      expect(reasonOf(() => verify({ 'typeform-signature': sign(RESPONSE, next) }, RESPONSE))).toBe(
        'invalid_signature',
      );
      const signed = signWebhook({ provider: typeformProvider, secret: [next, SECRET], payload: RESPONSE });
      expect(signed.headers['typeform-signature']).toBe(sign(RESPONSE, next));
    });
  });

  describe('malformed signatures', () => {
    const signature = sign(RESPONSE);

    it('a missing or empty signature is missing_signature', () => {
      expect(reasonOf(() => verify({}, RESPONSE))).toBe('missing_signature');
      expect(reasonOf(() => verify({ 'typeform-signature': '' }, RESPONSE))).toBe('missing_signature');
    });

    it.each([
      ['without sha256=', signature.slice(7)],
      ['in upper-case SHA256=', `SHA256=${signature.slice(7)}`],
      ['in hex', `sha256=${Buffer.from(signature.slice(7), 'base64').toString('hex')}`],
      ['in base64url', `sha256=${Buffer.from(signature.slice(7), 'base64').toString('base64url')}`],
      ['unpadded', signature.replace(/=$/, '')],
      ['truncated', signature.slice(0, -4)],
      ['sent twice', [signature, signature]],
      ['a thousand times in one header', Array.from({ length: 1000 }, () => signature).join(',')],
    ])('a signature %s is malformed_signature', (_label, value) => {
      expect(reasonOf(() => verify({ 'typeform-signature': value }, RESPONSE))).toBe('malformed_signature');
    });

    it('a signature of another algorithm is unsupported_algorithm', () => {
      const sha1 = `sha1=${crypto.createHmac('sha1', SECRET).update(RESPONSE).digest('base64')}`;
      expect(reasonOf(() => verify({ 'typeform-signature': sha1 }, RESPONSE))).toBe('unsupported_algorithm');
    });

    it('refuses every one-character change of the base64 signature (a strict decoder)', () => {
      const text = signature.slice(7);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      const accepted: string[] = [];
      for (let index = 0; index < text.length; index += 1) {
        if (text[index] === '=') continue;
        for (const replacement of alphabet) {
          if (replacement === text[index]) continue;
          const changed = `sha256=${text.slice(0, index)}${replacement}${text.slice(index + 1)}`;
          if (!isRejected(() => verify({ 'typeform-signature': changed }, RESPONSE))) accepted.push(changed);
        }
      }
      expect(accepted).toEqual([]);
    });

    it('refuses no secret or an empty one at configuration', () => {
      expect(() => signWebhook({ provider: typeformProvider, payload: RESPONSE })).toThrow(WebhookConfigurationError);
      expect(() => signWebhook({ provider: typeformProvider, secret: '', payload: RESPONSE })).toThrow(
        WebhookConfigurationError,
      );
    });
  });

  describe('sender fixture', () => {
    it("delivers what the provider verifies, Typeform's check and the floor accept, and a changed byte fails all", async () => {
      const now = new Date();
      const url = 'https://hooks.example.com/webhooks/typeform';
      const delivery = await typeformSender.delivery({ url, now });
      const result = verify(delivery.headers, delivery.body);
      expect({ deliveryId: result.deliveryId, event: result.event }).toEqual(typeformSender.expected);
      expect(await typeformSender.sdkAccepts!({ delivery, url, now })).toBe(true);
      expect(typeformSender.floor({ delivery, url })).toBe(true);
      const tampered = { ...delivery, body: flipByte(delivery.body, 30, 0x01) };
      expect(await typeformSender.sdkAccepts!({ delivery: tampered, url, now })).toBe(false);
      expect(typeformSender.floor({ delivery: tampered, url })).toBe(false);
      expect(isRejected(() => verify(tampered.headers, tampered.body))).toBe(true);
    });
  });
});
