import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { signWebhook, verifyWebhook, WebhookConfigurationError, type WebhookHeaders } from '../../lib/index.js';
import { bitbucketProvider } from '../../lib/providers/bitbucket.provider.js';
import { BITBUCKET_PUSH_BODY, bitbucketSender } from '../senders/bitbucket.sender.js';
import { flipByte, reasonOf } from '../core/rejections.js';

const SECRET = 'bb-test-secret-41c7';
const REQUEST_UUID = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const URL = 'https://hooks.example.com/webhooks/bitbucket';
const NOW = new Date('2024-05-01T12:00:00Z');

/** Bitbucket's documented check: `sha256=` + the hex HMAC-SHA256 of the received body under the secret. */
function documentedSignature(body: string | Buffer, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function headersFor(body: string | Buffer, secret = SECRET): Record<string, string> {
  return {
    'X-Hub-Signature': documentedSignature(body, secret),
    'X-Request-UUID': REQUEST_UUID,
    'X-Event-Key': 'repo:push',
    'X-Attempt-Number': '1',
  };
}

function verifyBitbucket(
  headers: WebhookHeaders,
  body: string | Buffer = BITBUCKET_PUSH_BODY,
  secret: string | string[] = SECRET,
  now?: Date,
) {
  return verifyWebhook({ provider: bitbucketProvider, secret, headers, rawBody: Buffer.from(body), now });
}

describe('bitbucket provider', () => {
  describe("against Bitbucket's documented scheme", () => {
    it('agrees with a signature computed independently (openssl dgst -sha256 -hmac)', () => {
      const body = '{"push":{"changes":[]}}';
      const signature = 'sha256=2b7638acf5dc51584501f797f9ce374b1f0bc588e62e5a339eb2d725189ff41f';
      expect(documentedSignature(body, 'bb-secret')).toBe(signature);
      expect(verifyBitbucket({ 'x-hub-signature': signature }, body, 'bb-secret').event).toBeUndefined();
      const signed = signWebhook({ provider: bitbucketProvider, secret: 'bb-secret', payload: Buffer.from(body) });
      expect(signed.headers['x-hub-signature']).toBe(signature);
    });

    it('verifies a delivery signed as documented, id from X-Request-UUID and event from X-Event-Key', () => {
      const result = verifyBitbucket(headersFor(BITBUCKET_PUSH_BODY));
      expect(result).toEqual({ deliveryId: REQUEST_UUID, event: 'repo:push', timestamp: undefined });
    });

    it('refuses a documented delivery with any one byte of the body changed', () => {
      const headers = headersFor(BITBUCKET_PUSH_BODY);
      const body = Buffer.from(BITBUCKET_PUSH_BODY, 'utf8');
      for (let index = 0; index < body.length; index += 13) {
        expect(reasonOf(() => verifyBitbucket(headers, flipByte(body, index, 0x20)))).toBe('invalid_signature');
      }
      expect(reasonOf(() => verifyBitbucket(headers, `${BITBUCKET_PUSH_BODY}\n`))).toBe('invalid_signature');
    });

    it('writes what the documented check accepts, and the check refuses a one-byte change', () => {
      const signed = signWebhook({
        provider: bitbucketProvider,
        secret: SECRET,
        id: REQUEST_UUID,
        event: 'pullrequest:created',
        payload: Buffer.from(BITBUCKET_PUSH_BODY, 'utf8'),
      });
      expect(signed.headers).toEqual({
        'content-type': 'application/json',
        'x-hub-signature': documentedSignature(BITBUCKET_PUSH_BODY),
        'x-request-uuid': REQUEST_UUID,
        'x-event-key': 'pullrequest:created',
        'x-attempt-number': '1',
      });
      expect(documentedSignature(flipByte(signed.body, 3, 0x01))).not.toBe(signed.headers['x-hub-signature']);
    });
  });

  describe('the sender fixture', () => {
    it('verifies here with the expected facts', async () => {
      const delivery = await bitbucketSender.delivery({ url: URL, now: NOW });
      const result = verifyWebhook({
        provider: bitbucketProvider,
        secret: bitbucketSender.secret,
        headers: delivery.headers,
        rawBody: delivery.body,
        now: NOW,
      });
      expect({ deliveryId: result.deliveryId, event: result.event }).toEqual(bitbucketSender.expected);
    });

    it('has a documented check and a floor that accept it and refuse a changed byte', async () => {
      const delivery = await bitbucketSender.delivery({ url: URL, now: NOW });
      expect(await bitbucketSender.sdkAccepts!({ delivery, url: URL, now: NOW })).toBe(true);
      expect(bitbucketSender.floor({ delivery, url: URL })).toBe(true);
      const tampered = { ...delivery, body: flipByte(delivery.body, 10, 0x01) };
      expect(await bitbucketSender.sdkAccepts!({ delivery: tampered, url: URL, now: NOW })).toBe(false);
      expect(bitbucketSender.floor({ delivery: tampered, url: URL })).toBe(false);
    });
  });

  describe('delivery id, event and time', () => {
    it("reads Bitbucket Data Center's X-Request-Id when there is no X-Request-UUID", () => {
      const dataCenter: Record<string, string> = { ...headersFor(BITBUCKET_PUSH_BODY) };
      delete dataCenter['X-Request-UUID'];
      const result = verifyBitbucket({ ...dataCenter, 'X-Request-Id': 'dc-7f3e', 'X-Event-Key': 'repo:refs_changed' });
      expect(result).toEqual({ deliveryId: 'dc-7f3e', event: 'repo:refs_changed', timestamp: undefined });
    });

    it('prefers X-Request-UUID over an X-Request-Id a proxy added', () => {
      expect(verifyBitbucket({ ...headersFor(BITBUCKET_PUSH_BODY), 'x-request-id': 'proxy-1' }).deliveryId).toBe(
        REQUEST_UUID,
      );
    });

    it('uses a digest of the signature without either id, and ignores an X-Request-Id sent twice', () => {
      const signature = documentedSignature(BITBUCKET_PUSH_BODY);
      const digest = createHash('sha256')
        .update(Buffer.from(signature.slice(7), 'hex'))
        .digest('hex')
        .slice(0, 32);
      expect(verifyBitbucket({ 'x-hub-signature': signature }).deliveryId).toBe(digest);
      expect(verifyBitbucket({ 'x-hub-signature': signature, 'x-request-id': ['a', 'b'] }).deliveryId).toBe(digest);
    });

    it('refuses X-Request-UUID or X-Event-Key sent twice', () => {
      const headers = headersFor(BITBUCKET_PUSH_BODY);
      expect(reasonOf(() => verifyBitbucket({ ...headers, 'X-Request-UUID': [REQUEST_UUID, 'x'] }))).toBe(
        'malformed_signature',
      );
      expect(reasonOf(() => verifyBitbucket({ ...headers, 'X-Event-Key': ['repo:push', 'repo:fork'] }))).toBe(
        'malformed_signature',
      );
    });

    it('has no replay window and reads nothing from the body', () => {
      const body = '\u0000not json';
      const result = verifyBitbucket(headersFor(body), body, SECRET, new Date('2035-01-01T00:00:00Z'));
      expect(result).toEqual({ deliveryId: REQUEST_UUID, event: 'repo:push', timestamp: undefined });
    });
  });

  describe('rotation and secrets', () => {
    it('verifies deliveries signed with either secret of [new, old], and not a third', () => {
      for (const secret of ['new-secret', 'old-secret']) {
        expect(
          verifyBitbucket(headersFor(BITBUCKET_PUSH_BODY, secret), BITBUCKET_PUSH_BODY, ['new-secret', 'old-secret'])
            .deliveryId,
        ).toBe(REQUEST_UUID);
      }
      expect(
        reasonOf(() =>
          verifyBitbucket(headersFor(BITBUCKET_PUSH_BODY, 'gone'), BITBUCKET_PUSH_BODY, ['new-secret', 'old-secret']),
        ),
      ).toBe('invalid_signature');
    });

    it('signs with the first secret', () => {
      const signed = signWebhook({ provider: bitbucketProvider, secret: ['new-secret', 'old-secret'], payload: '{}' });
      expect(signed.headers['x-hub-signature']).toBe(documentedSignature('{}', 'new-secret'));
    });

    it('needs a non-empty secret', () => {
      const headers = headersFor('{}');
      const rawBody = Buffer.from('{}');
      expect(() => verifyWebhook({ provider: bitbucketProvider, headers, rawBody })).toThrow(WebhookConfigurationError);
      expect(() => verifyWebhook({ provider: bitbucketProvider, secret: '', headers, rawBody })).toThrow(
        WebhookConfigurationError,
      );
    });
  });

  describe('malformed signature headers', () => {
    it('refuses a missing or empty X-Hub-Signature as missing_signature', () => {
      expect(reasonOf(() => verifyBitbucket({ 'x-request-uuid': REQUEST_UUID }))).toBe('missing_signature');
      expect(reasonOf(() => verifyBitbucket({ 'x-hub-signature': '' }))).toBe('missing_signature');
    });

    it.each([
      [
        'sha1 (what GitHub sends in this header)',
        `sha1=${createHmac('sha1', SECRET).update(BITBUCKET_PUSH_BODY).digest('hex')}`,
      ],
      ['sha512', `sha512=${createHmac('sha512', SECRET).update(BITBUCKET_PUSH_BODY).digest('hex')}`],
      ['SHA256 in upper case', documentedSignature(BITBUCKET_PUSH_BODY).replace('sha256', 'SHA256')],
      ['md5', 'md5=0123456789abcdef0123456789abcdef'],
    ])('refuses a signature named %s as unsupported_algorithm', (_label, header) => {
      expect(reasonOf(() => verifyBitbucket({ 'x-hub-signature': header }))).toBe('unsupported_algorithm');
    });

    it.each([
      ['without a prefix', documentedSignature(BITBUCKET_PUSH_BODY).slice(7)],
      ['with a space before the hex', documentedSignature(BITBUCKET_PUSH_BODY).replace('=', '= ')],
      ['the prefix alone', 'sha256='],
      ['of odd length', documentedSignature(BITBUCKET_PUSH_BODY).slice(0, -1)],
      ['too long', `${documentedSignature(BITBUCKET_PUSH_BODY)}00`],
      ['not hex', `sha256=${'g'.repeat(64)}`],
      ['base64', `sha256=${createHmac('sha256', SECRET).update(BITBUCKET_PUSH_BODY).digest('base64')}`],
      ['a list of two', `${documentedSignature(BITBUCKET_PUSH_BODY)},${documentedSignature(BITBUCKET_PUSH_BODY)}`],
      ['with a name longer than any algorithm', `${'a'.repeat(100_000)}=00`],
      ['a megabyte of hex', `sha256=${'0'.repeat(1 << 20)}`],
    ])('refuses a signature %s as malformed_signature', (_label, header) => {
      expect(reasonOf(() => verifyBitbucket({ 'x-hub-signature': header }))).toBe('malformed_signature');
    });

    it('refuses the signature header sent twice, even with the right value', () => {
      const signature = documentedSignature(BITBUCKET_PUSH_BODY);
      expect(reasonOf(() => verifyBitbucket({ 'x-hub-signature': [signature, signature] }))).toBe(
        'malformed_signature',
      );
    });
  });

  it('declares its headers: the signature is sensitive, the id and event are kept for handlers', () => {
    expect(bitbucketProvider.name).toBe('bitbucket');
    expect(bitbucketProvider.sensitiveHeaders).toEqual(['x-hub-signature']);
    expect(bitbucketProvider.senderHeaders).toEqual(expect.arrayContaining(['x-request-uuid', 'x-event-key']));
    expect(bitbucketProvider.methods).toEqual(['POST']);
    expect(bitbucketProvider.defaultToleranceSeconds).toBeUndefined();
  });
});
