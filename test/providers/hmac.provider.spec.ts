import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  hmacProvider,
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
  WebhookVerifier,
  type HmacProviderOptions,
} from '../../lib/index.js';
import type { WebhookHeaders } from '../../lib/index.js';
import { reasonOf } from '../core/rejections.js';

const github = hmacProvider({
  name: 'github',
  signatureHeader: 'X-Hub-Signature-256',
  algorithm: 'sha256',
  encoding: 'hex',
  prefix: 'sha256=',
  idHeader: 'x-github-delivery',
  eventHeader: 'x-github-event',
});

const SECRET = "It's a Secret to Everybody";
/** GitHub's documented example: this body and secret give this X-Hub-Signature-256. */
const GITHUB_BODY = 'Hello, World!';
const GITHUB_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
const PUSH = '{"ref":"refs/heads/main","repository":{"full_name":"octo/hello"}}';

/** What GitHub computes: 'sha256=' + hex HMAC-SHA256 of the raw body. */
function githubSignature(body: string | Buffer, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function verifyGithub(headers: WebhookHeaders, body: string | Buffer = PUSH, secret: string | string[] = SECRET) {
  return verifyWebhook({ provider: github, secret, headers, rawBody: Buffer.from(body) });
}

describe('hmacProvider', () => {
  describe('GitHub style', () => {
    it('agrees with the signature GitHub documents for its example', () => {
      expect(githubSignature(GITHUB_BODY)).toBe(GITHUB_SIGNATURE);
      const result = verifyGithub(
        { 'X-Hub-Signature-256': GITHUB_SIGNATURE, 'X-GitHub-Delivery': DELIVERY, 'X-GitHub-Event': 'ping' },
        GITHUB_BODY,
      );
      expect(result).toEqual({ deliveryId: DELIVERY, event: 'ping', timestamp: undefined });
    });

    it('verifies a hand-computed signature with Node-style lower-case headers', () => {
      const headers = {
        'x-hub-signature-256': githubSignature(PUSH),
        'x-github-delivery': DELIVERY,
        'x-github-event': 'push',
      };
      expect(verifyGithub(headers)).toEqual({ deliveryId: DELIVERY, event: 'push', timestamp: undefined });
    });

    it('round-trips signWebhook then verifyWebhook, writing the prefix, id and event headers', () => {
      const signed = signWebhook({ provider: github, secret: SECRET, id: DELIVERY, event: 'push', payload: PUSH });
      expect(signed.headers).toEqual({
        'content-type': 'application/json',
        'x-hub-signature-256': githubSignature(PUSH),
        'x-github-delivery': DELIVERY,
        'x-github-event': 'push',
      });
      expect(
        verifyWebhook({ provider: github, secret: SECRET, headers: signed.headers, rawBody: signed.body }),
      ).toEqual({
        deliveryId: DELIVERY,
        event: 'push',
        timestamp: undefined,
      });
    });

    it('writes a fresh delivery id when none is given', () => {
      const first = signWebhook({ provider: github, secret: SECRET, payload: PUSH });
      const second = signWebhook({ provider: github, secret: SECRET, payload: PUSH });
      expect(first.headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
      expect(first.headers['x-github-delivery']).not.toBe(second.headers['x-github-delivery']);
      expect(verifyGithub(first.headers).deliveryId).toBe(first.headers['x-github-delivery']);
    });

    it('rejects a changed body or another secret', () => {
      const headers = { 'x-hub-signature-256': githubSignature(PUSH), 'x-github-delivery': DELIVERY };
      expect(reasonOf(() => verifyGithub(headers, `${PUSH}\n`))).toBe('invalid_signature');
      expect(reasonOf(() => verifyGithub(headers, PUSH, 'another secret'))).toBe('invalid_signature');
    });

    it('verifies with a rotation list where only the second secret matches', () => {
      const headers = { 'x-hub-signature-256': githubSignature(PUSH), 'x-github-delivery': DELIVERY };
      expect(verifyGithub(headers, PUSH, ['retired', SECRET]).deliveryId).toBe(DELIVERY);
    });

    it.each([
      ['without its prefix', githubSignature(PUSH).slice('sha256='.length)],
      ['with another prefix', githubSignature(PUSH).replace('sha256=', 'sha1=')],
      ['with an upper-case prefix', githubSignature(PUSH).replace('sha256=', 'SHA256=')],
      ['of odd length', githubSignature(PUSH).slice(0, -1)],
      ['not hex', `sha256=${'q'.repeat(64)}`],
      ['too long', `${githubSignature(PUSH)}00`],
      ['the prefix alone', 'sha256='],
      ['sent twice', [githubSignature(PUSH), githubSignature(PUSH)]],
    ])('rejects a signature %s as malformed_signature', (_label, signature) => {
      const headers = { 'x-hub-signature-256': signature, 'x-github-delivery': DELIVERY };
      expect(reasonOf(() => verifyGithub(headers))).toBe('malformed_signature');
    });

    it('rejects a missing or empty signature as missing_signature', () => {
      expect(reasonOf(() => verifyGithub({ 'x-github-delivery': DELIVERY }))).toBe('missing_signature');
      expect(reasonOf(() => verifyGithub({ 'x-hub-signature-256': '', 'x-github-delivery': DELIVERY }))).toBe(
        'missing_signature',
      );
    });

    it('rejects a missing or duplicated delivery id header as malformed_signature', () => {
      const signature = githubSignature(PUSH);
      expect(reasonOf(() => verifyGithub({ 'x-hub-signature-256': signature }))).toBe('malformed_signature');
      expect(
        reasonOf(() => verifyGithub({ 'x-hub-signature-256': signature, 'x-github-delivery': [DELIVERY, 'x'] })),
      ).toBe('malformed_signature');
    });

    it('has no event without the event header', () => {
      expect(
        verifyGithub({ 'x-hub-signature-256': githubSignature(PUSH), 'x-github-delivery': DELIVERY }).event,
      ).toBeUndefined();
    });
  });

  describe('without an id header', () => {
    const bare = hmacProvider({ signatureHeader: 'x-signature', algorithm: 'sha256', encoding: 'hex' });

    it('is named hmac and uses a digest of the signature as the delivery id', () => {
      expect(bare.name).toBe('hmac');
      const signature = createHmac('sha256', SECRET).update(PUSH).digest('hex');
      const result = verifyWebhook({
        provider: bare,
        secret: SECRET,
        headers: { 'X-Signature': signature },
        rawBody: Buffer.from(PUSH),
      });
      expect(result.deliveryId).toBe(
        createHash('sha256').update(Buffer.from(signature, 'hex')).digest('hex').slice(0, 32),
      );
      expect(signature).not.toContain(result.deliveryId);
      expect(result.event).toBeUndefined();
    });
  });

  describe('sha512 with base64', () => {
    const provider = hmacProvider({
      name: 'b64',
      signatureHeader: 'X-Signature',
      algorithm: 'sha512',
      encoding: 'base64',
    });
    const signature = createHmac('sha512', SECRET).update(PUSH).digest('base64');

    it('verifies a hand-computed base64 HMAC-SHA512', () => {
      expect(signature).toHaveLength(88);
      const result = verifyWebhook({
        provider,
        secret: SECRET,
        headers: { 'x-signature': signature },
        rawBody: Buffer.from(PUSH),
      });
      expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
    });

    it('round-trips signWebhook then verifyWebhook', () => {
      const signed = signWebhook({ provider, secret: SECRET, payload: PUSH });
      expect(signed.headers['x-signature']).toBe(signature);
      expect(
        verifyWebhook({ provider, secret: SECRET, headers: signed.headers, rawBody: signed.body }).deliveryId,
      ).toMatch(/^[0-9a-f]{32}$/);
    });

    it.each([
      ['hex', createHmac('sha512', SECRET).update(PUSH).digest('hex')],
      ['base64 of SHA-256', createHmac('sha256', SECRET).update(PUSH).digest('base64')],
      ['unpadded', signature.replace(/=+$/, '')],
      ['base64url', createHmac('sha512', SECRET).update(PUSH).digest('base64url')],
      ['with a bad character', `*${signature.slice(1)}`],
    ])('rejects %s as malformed_signature', (_label, text) => {
      expect(
        reasonOf(() =>
          verifyWebhook({ provider, secret: SECRET, headers: { 'x-signature': text }, rawBody: Buffer.from(PUSH) }),
        ),
      ).toBe('malformed_signature');
    });

    it('rejects another body as invalid_signature', () => {
      expect(
        reasonOf(() =>
          verifyWebhook({
            provider,
            secret: SECRET,
            headers: { 'x-signature': signature },
            rawBody: Buffer.from('{}'),
          }),
        ),
      ).toBe('invalid_signature');
    });
  });

  describe('timestampHeader', () => {
    const provider = hmacProvider({
      signatureHeader: 'x-signature',
      algorithm: 'sha256',
      encoding: 'hex',
      timestampHeader: 'X-Timestamp',
    });
    const SENT = new Date('2024-05-01T12:00:00Z');
    const signature = createHmac('sha256', SECRET).update(PUSH).digest('hex');

    function verifyAt(timestamp: string | string[] | undefined, now = SENT, toleranceSeconds?: number) {
      const headers: Record<string, string | string[]> = { 'x-signature': signature };
      if (timestamp !== undefined) headers['x-timestamp'] = timestamp;
      return verifyWebhook({ provider, secret: SECRET, headers, rawBody: Buffer.from(PUSH), now, toleranceSeconds });
    }

    it('reads epoch seconds and 13-digit milliseconds', () => {
      expect(verifyAt(String(SENT.getTime() / 1000)).timestamp).toEqual(SENT);
      expect(verifyAt(String(SENT.getTime() + 250)).timestamp).toEqual(new Date(SENT.getTime() + 250));
    });

    it('writes seconds when signing, and verifies it', () => {
      const signed = signWebhook({ provider, secret: SECRET, payload: PUSH, timestamp: SENT });
      expect(signed.headers['x-timestamp']).toBe(String(SENT.getTime() / 1000));
      expect(
        verifyWebhook({ provider, secret: SECRET, headers: signed.headers, rawBody: signed.body, now: SENT }).timestamp,
      ).toEqual(SENT);
    });

    it('applies the replay window, and not with toleranceSeconds 0', () => {
      const seconds = String(SENT.getTime() / 1000);
      expect(reasonOf(() => verifyAt(seconds, new Date(SENT.getTime() + 301_000)))).toBe('timestamp_out_of_window');
      expect(reasonOf(() => verifyAt(seconds, new Date(SENT.getTime() - 301_000)))).toBe('timestamp_out_of_window');
      expect(verifyAt(seconds, new Date(SENT.getTime() + 301_000), 0).timestamp).toEqual(SENT);
    });

    it('rejects a missing timestamp as missing_timestamp', () => {
      expect(reasonOf(() => verifyAt(undefined))).toBe('missing_timestamp');
      expect(reasonOf(() => verifyAt(''))).toBe('missing_timestamp');
    });

    it.each([
      ['negative', '-5'],
      ['with letters', '12a'],
      ['oversized', '9'.repeat(25)],
      ['decimal', '1714564800.5'],
      ['ISO 8601', '2024-05-01T12:00:00Z'],
      ['duplicated', ['1714564800', '1714564800']],
    ])('rejects a timestamp %s as malformed_timestamp', (_label, timestamp) => {
      expect(reasonOf(() => verifyAt(timestamp, SENT, 0))).toBe('malformed_timestamp');
    });
  });

  describe('configuration', () => {
    const base: HmacProviderOptions = { signatureHeader: 'x-signature', algorithm: 'sha256', encoding: 'hex' };

    it.each([
      ['md5', { ...base, algorithm: 'md5' }],
      ['sha1', { ...base, algorithm: 'sha1' }],
      ['an upper-case algorithm', { ...base, algorithm: 'SHA256' }],
      ['an unknown encoding', { ...base, encoding: 'base32' }],
      ['no signature header', { ...base, signatureHeader: '' }],
    ])('refuses %s', (_label, options) => {
      expect(() => hmacProvider(options as unknown as HmacProviderOptions)).toThrow(WebhookConfigurationError);
    });

    it('accepts sha384', () => {
      const provider = hmacProvider({ ...base, algorithm: 'sha384' });
      const signature = createHmac('sha384', SECRET).update(PUSH).digest('hex');
      expect(
        verifyWebhook({ provider, secret: SECRET, headers: { 'x-signature': signature }, rawBody: Buffer.from(PUSH) })
          .deliveryId,
      ).toMatch(/^[0-9a-f]{32}$/);
    });

    it('needs a secret', () => {
      expect(() => new WebhookVerifier({ provider: github })).toThrow(WebhookConfigurationError);
    });
  });
});
