import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { signWebhook, verifyWebhook, WebhookConfigurationError, type WebhookHeaders } from '../../lib/index.js';
import { vercelProvider } from '../../lib/providers/vercel.provider.js';
import { VERCEL_DEPLOYMENT_BODY, vercelSender } from '../senders/vercel.sender.js';
import { flipByte, reasonOf } from '../core/rejections.js';

const SECRET = 'vc-test-secret-51d0';
const URL = 'https://hooks.example.com/webhooks/vercel';
const NOW = new Date('2024-05-01T12:00:00Z');

/** What Vercel's snippet computes: `crypto.createHmac('sha1', secret).update(data).digest('hex')`. */
function snippetSignature(body: string | Buffer, secret = SECRET): string {
  return createHmac('sha1', secret).update(body).digest('hex');
}

function verifyVercel(headers: WebhookHeaders, body: string | Buffer, secret: string | string[] = SECRET) {
  return verifyWebhook({ provider: vercelProvider, secret, headers, rawBody: Buffer.from(body) });
}

function signedHeaders(body: string | Buffer, secret = SECRET): Record<string, string> {
  return { 'x-vercel-signature': snippetSignature(body, secret), 'content-type': 'application/json' };
}

function digestIdOf(signature: string): string {
  return createHash('sha256').update(Buffer.from(signature, 'hex')).digest('hex').slice(0, 32);
}

describe('vercel provider', () => {
  describe("against the snippet of Vercel's documentation", () => {
    it('agrees with a signature computed independently (openssl dgst -sha1 -hmac)', () => {
      const signature = '01dc10d0c83e72ed246219cdd91669667fe2ca59';
      expect(snippetSignature('Hello, World!', "It's a Secret to Everybody")).toBe(signature);
      const signed = signWebhook({
        provider: vercelProvider,
        secret: "It's a Secret to Everybody",
        payload: Buffer.from('Hello, World!'),
      });
      expect(signed.headers['x-vercel-signature']).toBe(signature);
    });

    it('verifies a delivery signed as the snippet checks it: id and type from the body', () => {
      const result = verifyVercel(signedHeaders(VERCEL_DEPLOYMENT_BODY), VERCEL_DEPLOYMENT_BODY);
      expect(result).toEqual({
        deliveryId: vercelSender.expected.deliveryId,
        event: 'deployment.succeeded',
        timestamp: undefined,
      });
    });

    it('refuses such a delivery with any one byte of the body changed', () => {
      const headers = signedHeaders(VERCEL_DEPLOYMENT_BODY);
      const body = Buffer.from(VERCEL_DEPLOYMENT_BODY, 'utf8');
      for (let index = 0; index < body.length; index += 9) {
        expect(reasonOf(() => verifyVercel(headers, flipByte(body, index, 0x08)))).toBe('invalid_signature');
      }
    });

    it('writes what the snippet accepts, and the snippet refuses a one-byte change', async () => {
      const signed = signWebhook({
        provider: vercelProvider,
        secret: vercelSender.secret,
        payload: VERCEL_DEPLOYMENT_BODY,
      });
      expect(signed.headers).toEqual({
        'content-type': 'application/json',
        'x-vercel-signature': snippetSignature(VERCEL_DEPLOYMENT_BODY, vercelSender.secret as string),
      });
      expect(await vercelSender.sdkAccepts!({ delivery: signed, url: URL, now: NOW })).toBe(true);
      const tampered = { ...signed, body: flipByte(signed.body, 7, 0x01) };
      expect(await vercelSender.sdkAccepts!({ delivery: tampered, url: URL, now: NOW })).toBe(false);
    });

    it('checks the exact bytes, where the snippet re-encodes the text: a body that is not UTF-8 verifies only here', async () => {
      const body = Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]); // {"id":"\xff"}
      const signed = signWebhook({ provider: vercelProvider, secret: vercelSender.secret, payload: body });
      expect(() =>
        verifyWebhook({
          provider: vercelProvider,
          secret: vercelSender.secret,
          headers: signed.headers,
          rawBody: signed.body,
        }),
      ).not.toThrow();
      expect(await vercelSender.sdkAccepts!({ delivery: signed, url: URL, now: NOW })).toBe(false);
    });
  });

  describe('the sender fixture', () => {
    it('verifies here with the expected facts', async () => {
      const delivery = await vercelSender.delivery({ url: URL, now: NOW });
      const result = verifyWebhook({
        provider: vercelProvider,
        secret: vercelSender.secret,
        headers: delivery.headers,
        rawBody: delivery.body,
        now: NOW,
      });
      expect({ deliveryId: result.deliveryId, event: result.event }).toEqual(vercelSender.expected);
    });

    it('has the snippet check and a floor that accept it and refuse a changed byte', async () => {
      const delivery = await vercelSender.delivery({ url: URL, now: NOW });
      expect(await vercelSender.sdkAccepts!({ delivery, url: URL, now: NOW })).toBe(true);
      expect(vercelSender.floor({ delivery, url: URL })).toBe(true);
      const tampered = { ...delivery, body: flipByte(delivery.body, 25, 0x01) };
      expect(await vercelSender.sdkAccepts!({ delivery: tampered, url: URL, now: NOW })).toBe(false);
      expect(vercelSender.floor({ delivery: tampered, url: URL })).toBe(false);
    });
  });

  describe('delivery id and event from the body', () => {
    it.each([
      ['not JSON', '<html>'],
      ['a JSON array', '[{"id":"evt_1","type":"x"}]'],
      ['empty', ''],
      ['JSON without id or type', '{"payload":{}}'],
      ['JSON with an empty id and a numeric type', '{"id":"","type":7}'],
    ])('falls back to the digest when the body is %s, without throwing', (_label, body) => {
      const headers = signedHeaders(body);
      const result = verifyVercel(headers, body);
      expect(result.deliveryId).toBe(digestIdOf(headers['x-vercel-signature']!));
      expect(result.timestamp).toBeUndefined();
    });

    it('reads a numeric type as text, and no event at all when there is no type', () => {
      expect(verifyVercel(signedHeaders('{"id":"evt_2","type":7}'), '{"id":"evt_2","type":7}').event).toBe('7');
      expect(verifyVercel(signedHeaders('{"id":"evt_3"}'), '{"id":"evt_3"}')).toEqual({
        deliveryId: 'evt_3',
        event: undefined,
        timestamp: undefined,
      });
    });

    it('has no replay window', () => {
      const result = verifyWebhook({
        provider: vercelProvider,
        secret: SECRET,
        headers: signedHeaders(VERCEL_DEPLOYMENT_BODY),
        rawBody: Buffer.from(VERCEL_DEPLOYMENT_BODY),
        now: new Date('2040-01-01T00:00:00Z'),
      });
      expect(result.event).toBe('deployment.succeeded');
    });
  });

  describe('rotation and secrets', () => {
    it('verifies deliveries signed with either secret of [new, old], and not a third', () => {
      for (const secret of ['new-secret', 'old-secret']) {
        expect(
          verifyVercel(signedHeaders(VERCEL_DEPLOYMENT_BODY, secret), VERCEL_DEPLOYMENT_BODY, [
            'new-secret',
            'old-secret',
          ]).event,
        ).toBe('deployment.succeeded');
      }
      expect(
        reasonOf(() =>
          verifyVercel(signedHeaders(VERCEL_DEPLOYMENT_BODY, 'gone'), VERCEL_DEPLOYMENT_BODY, [
            'new-secret',
            'old-secret',
          ]),
        ),
      ).toBe('invalid_signature');
    });

    it('signs with the first secret and needs a non-empty one', () => {
      const signed = signWebhook({ provider: vercelProvider, secret: ['new-secret', 'old-secret'], payload: '{}' });
      expect(signed.headers['x-vercel-signature']).toBe(snippetSignature('{}', 'new-secret'));
      const headers = signedHeaders('{}');
      expect(() => verifyWebhook({ provider: vercelProvider, headers, rawBody: Buffer.from('{}') })).toThrow(
        WebhookConfigurationError,
      );
      expect(() =>
        verifyWebhook({ provider: vercelProvider, secret: '', headers, rawBody: Buffer.from('{}') }),
      ).toThrow(WebhookConfigurationError);
    });
  });

  describe('malformed signature headers', () => {
    const body = VERCEL_DEPLOYMENT_BODY;
    const signature = snippetSignature(body);

    it('refuses a missing or empty x-vercel-signature as missing_signature', () => {
      expect(reasonOf(() => verifyVercel({}, body))).toBe('missing_signature');
      expect(reasonOf(() => verifyVercel({ 'x-vercel-signature': '' }, body))).toBe('missing_signature');
    });

    it.each([
      ['with a sha1= prefix', `sha1=${signature}`],
      ['of odd length', signature.slice(0, -1)],
      ['a byte short', signature.slice(0, -2)],
      ['a byte long', `${signature}00`],
      ['a SHA-256 HMAC', createHmac('sha256', SECRET).update(body).digest('hex')],
      ['not hex', 'z'.repeat(40)],
      ['base64', createHmac('sha1', SECRET).update(body).digest('base64')],
      ['with surrounding spaces', ` ${signature} `],
      ['a megabyte long', 'a'.repeat(1 << 20)],
    ])('refuses a signature %s as malformed_signature', (_label, header) => {
      expect(reasonOf(() => verifyVercel({ 'x-vercel-signature': header }, body))).toBe('malformed_signature');
    });

    it('refuses the signature header sent twice, even with the right value', () => {
      expect(reasonOf(() => verifyVercel({ 'x-vercel-signature': [signature, signature] }, body))).toBe(
        'malformed_signature',
      );
    });

    it('accepts the hex in upper case (the same bytes)', () => {
      expect(verifyVercel({ 'x-vercel-signature': signature.toUpperCase() }, body).event).toBe('deployment.succeeded');
    });
  });

  it('declares its headers', () => {
    expect(vercelProvider.name).toBe('vercel');
    expect(vercelProvider.sensitiveHeaders).toEqual(['x-vercel-signature']);
    expect(vercelProvider.methods).toEqual(['POST']);
    expect(vercelProvider.defaultToleranceSeconds).toBeUndefined();
  });
});
