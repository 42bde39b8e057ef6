import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { sign, verify } from '@octokit/webhooks-methods';
import {
  IncomingWebhook,
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
  WebhookPayloadError,
  type WebhookHeaders,
} from '../../lib/index.js';
import { githubProvider } from '../../lib/providers/github.provider.js';
import { GITHUB_PUSH_BODY, githubSender } from '../senders/github.sender.js';
import { flipByte, reasonOf } from '../core/rejections.js';

const SECRET = 'gh-test-secret-8d1f0c';
const DELIVERY_ID = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
const URL = 'https://hooks.example.com/webhooks/github';
const NOW = new Date('2024-05-01T12:00:00Z');

/** GitHub's worked example ("Validating webhook deliveries"): this secret and body give this signature. */
const DOC_SECRET = "It's a Secret to Everybody";
const DOC_BODY = 'Hello, World!';
const DOC_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

function verifyGithub(
  headers: WebhookHeaders,
  body: string | Buffer = GITHUB_PUSH_BODY,
  secret: string | string[] = SECRET,
  now?: Date,
) {
  return verifyWebhook({ provider: githubProvider, secret, headers, rawBody: Buffer.from(body), now });
}

async function octokitHeaders(body: string, secret = SECRET, event = 'push'): Promise<Record<string, string>> {
  return {
    'x-hub-signature-256': await sign(secret, body),
    'x-github-delivery': DELIVERY_ID,
    'x-github-event': event,
  };
}

describe('github provider', () => {
  describe("GitHub's published example", () => {
    it('verifies the documented signature, which octokit computes too', async () => {
      expect(await sign(DOC_SECRET, DOC_BODY)).toBe(DOC_SIGNATURE);
      const result = verifyGithub(
        { 'X-Hub-Signature-256': DOC_SIGNATURE, 'X-GitHub-Delivery': DELIVERY_ID, 'X-GitHub-Event': 'ping' },
        DOC_BODY,
        DOC_SECRET,
      );
      expect(result).toEqual({ deliveryId: DELIVERY_ID, event: 'ping', timestamp: undefined });
    });

    it('signs the documented example byte for byte', () => {
      const signed = signWebhook({ provider: githubProvider, secret: DOC_SECRET, payload: Buffer.from(DOC_BODY) });
      expect(signed.headers['x-hub-signature-256']).toBe(DOC_SIGNATURE);
    });
  });

  describe('against @octokit/webhooks-methods', () => {
    it('verifies what octokit sign() writes, with the delivery id and event from their headers', async () => {
      const result = verifyGithub(await octokitHeaders(GITHUB_PUSH_BODY));
      expect(result).toEqual({ deliveryId: DELIVERY_ID, event: 'push', timestamp: undefined });
    });

    it('refuses an octokit-signed delivery with any one byte of the body changed', async () => {
      const headers = await octokitHeaders(GITHUB_PUSH_BODY);
      const body = Buffer.from(GITHUB_PUSH_BODY, 'utf8');
      for (let index = 0; index < body.length; index += 11) {
        expect(reasonOf(() => verifyGithub(headers, flipByte(body, index, 0x01)))).toBe('invalid_signature');
      }
      expect(reasonOf(() => verifyGithub(headers, Buffer.concat([body, Buffer.from(' ')])))).toBe('invalid_signature');
      expect(reasonOf(() => verifyGithub(headers, body.subarray(1)))).toBe('invalid_signature');
    });

    it('writes what octokit verify() accepts, and octokit refuses a one-byte change', async () => {
      const signed = signWebhook({
        provider: githubProvider,
        secret: SECRET,
        id: DELIVERY_ID,
        event: 'push',
        payload: Buffer.from(GITHUB_PUSH_BODY, 'utf8'),
      });
      const signature = signed.headers['x-hub-signature-256']!;
      expect(await verify(SECRET, signed.body.toString('utf8'), signature)).toBe(true);
      expect(await verify(SECRET, `${signed.body.toString('utf8')} `, signature)).toBe(false);
      expect(await verify(SECRET, flipByte(signed.body, 20, 0x01).toString('utf8'), signature)).toBe(false);
      expect(await verify('another secret', signed.body.toString('utf8'), signature)).toBe(false);
      expect(signature).toBe(await sign(SECRET, GITHUB_PUSH_BODY));
    });

    it('writes GitHub headers: content type, prefixed signature, delivery id and event', () => {
      const signed = signWebhook({
        provider: githubProvider,
        secret: SECRET,
        id: DELIVERY_ID,
        event: 'issues',
        payload: '{}',
      });
      expect(signed.headers).toEqual({
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update('{}').digest('hex')}`,
        'x-github-delivery': DELIVERY_ID,
        'x-github-event': 'issues',
      });
    });

    it('writes a fresh UUID as the delivery id when none is given', () => {
      const first = signWebhook({ provider: githubProvider, secret: SECRET, payload: '{}' });
      const second = signWebhook({ provider: githubProvider, secret: SECRET, payload: '{}' });
      expect(first.headers['x-github-delivery']).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
      expect(first.headers['x-github-delivery']).not.toBe(second.headers['x-github-delivery']);
      expect(first.headers['x-github-event']).toBeUndefined();
    });
  });

  describe('the sender fixture', () => {
    it('is a delivery octokit signed that verifies here with the expected facts', async () => {
      const delivery = await githubSender.delivery({ url: URL, now: NOW });
      const result = verifyWebhook({
        provider: githubProvider,
        secret: githubSender.secret,
        headers: delivery.headers,
        rawBody: delivery.body,
        now: NOW,
      });
      expect({ deliveryId: result.deliveryId, event: result.event }).toEqual(githubSender.expected);
      expect(result.timestamp).toBeUndefined();
    });

    it('has an SDK check and a floor that accept it and refuse a changed byte', async () => {
      const delivery = await githubSender.delivery({ url: URL, now: NOW });
      expect(await githubSender.sdkAccepts!({ delivery, url: URL, now: NOW })).toBe(true);
      expect(githubSender.floor({ delivery, url: URL })).toBe(true);
      const tampered = { ...delivery, body: flipByte(delivery.body, 40, 0x02) };
      expect(await githubSender.sdkAccepts!({ delivery: tampered, url: URL, now: NOW })).toBe(false);
      expect(githubSender.floor({ delivery: tampered, url: URL })).toBe(false);
    });

    it('has an SDK check that accepts what signWebhook writes', async () => {
      const signed = signWebhook({ provider: githubProvider, secret: githubSender.secret, payload: GITHUB_PUSH_BODY });
      expect(await githubSender.sdkAccepts!({ delivery: signed, url: URL, now: NOW })).toBe(true);
    });
  });

  describe('delivery id, event and time', () => {
    it('routes ping like any other event', async () => {
      const ping = '{"zen":"Keep it logically awesome.","hook_id":482193077}';
      expect(verifyGithub(await octokitHeaders(ping, SECRET, 'ping'), ping).event).toBe('ping');
    });

    it('uses a digest of the signature when X-GitHub-Delivery is absent, and has no event without its header', async () => {
      const signature = await sign(SECRET, GITHUB_PUSH_BODY);
      const result = verifyGithub({ 'x-hub-signature-256': signature });
      const expectedId = createHash('sha256')
        .update(Buffer.from(signature.slice(7), 'hex'))
        .digest('hex')
        .slice(0, 32);
      expect(result).toEqual({ deliveryId: expectedId, event: undefined, timestamp: undefined });
      expect(signature).not.toContain(result.deliveryId);
    });

    it('refuses a delivery id or event header sent twice', async () => {
      const headers = await octokitHeaders(GITHUB_PUSH_BODY);
      expect(reasonOf(() => verifyGithub({ ...headers, 'x-github-delivery': [DELIVERY_ID, 'other'] }))).toBe(
        'malformed_signature',
      );
      expect(reasonOf(() => verifyGithub({ ...headers, 'x-github-event': ['push', 'release'] }))).toBe(
        'malformed_signature',
      );
    });

    it('has no replay window: GitHub sends no timestamp, so a delivery verifies years later', async () => {
      const headers = await octokitHeaders(GITHUB_PUSH_BODY);
      expect(
        verifyGithub(headers, GITHUB_PUSH_BODY, SECRET, new Date('2031-01-01T00:00:00Z')).timestamp,
      ).toBeUndefined();
    });

    it('reads nothing from the body: a body that is not JSON verifies', async () => {
      const body = 'payload=not%20json\u0000\uffff';
      expect(verifyGithub(await octokitHeaders(body), body).deliveryId).toBe(DELIVERY_ID);
    });
  });

  describe('rotation and secrets', () => {
    it('verifies deliveries signed with either secret of [new, old]', async () => {
      for (const secret of ['new-secret', 'old-secret']) {
        const headers = await octokitHeaders(GITHUB_PUSH_BODY, secret);
        expect(verifyGithub(headers, GITHUB_PUSH_BODY, ['new-secret', 'old-secret']).deliveryId).toBe(DELIVERY_ID);
      }
      const stranger = await octokitHeaders(GITHUB_PUSH_BODY, 'retired-secret');
      expect(reasonOf(() => verifyGithub(stranger, GITHUB_PUSH_BODY, ['new-secret', 'old-secret']))).toBe(
        'invalid_signature',
      );
    });

    it('signs with the first secret', async () => {
      const signed = signWebhook({ provider: githubProvider, secret: ['new-secret', 'old-secret'], payload: '{}' });
      expect(signed.headers['x-hub-signature-256']).toBe(await sign('new-secret', '{}'));
    });

    it('needs a non-empty secret', () => {
      const headers = { 'x-hub-signature-256': DOC_SIGNATURE };
      const rawBody = Buffer.from(DOC_BODY);
      expect(() => verifyWebhook({ provider: githubProvider, headers, rawBody })).toThrow(WebhookConfigurationError);
      expect(() => verifyWebhook({ provider: githubProvider, secret: [], headers, rawBody })).toThrow(
        WebhookConfigurationError,
      );
      expect(() => verifyWebhook({ provider: githubProvider, secret: '', headers, rawBody })).toThrow(
        WebhookConfigurationError,
      );
    });
  });

  describe('malformed signature headers', () => {
    it('refuses a missing or empty X-Hub-Signature-256 as missing_signature, even beside the legacy SHA-1 header', () => {
      const legacy = `sha1=${createHmac('sha1', SECRET).update(GITHUB_PUSH_BODY).digest('hex')}`;
      expect(reasonOf(() => verifyGithub({ 'x-github-delivery': DELIVERY_ID }))).toBe('missing_signature');
      expect(reasonOf(() => verifyGithub({ 'x-hub-signature-256': '' }))).toBe('missing_signature');
      expect(reasonOf(() => verifyGithub({ 'x-hub-signature': legacy }))).toBe('missing_signature');
    });

    it.each([
      ['without its prefix', (s: string) => s.slice('sha256='.length)],
      ['with the sha1= prefix', (s: string) => s.replace('sha256=', 'sha1=')],
      ['with an upper-case prefix', (s: string) => s.replace('sha256=', 'SHA256=')],
      ['with a space after the prefix', (s: string) => s.replace('sha256=', 'sha256= ')],
      ['of odd length', (s: string) => s.slice(0, -1)],
      ['one byte short', (s: string) => s.slice(0, -2)],
      ['one byte long', (s: string) => `${s}00`],
      ['not hex', () => `sha256=${'z'.repeat(64)}`],
      ['the prefix alone', () => 'sha256='],
      ['two signatures in one header', (s: string) => `${s},${s}`],
      ['a megabyte long', () => `sha256=${'a'.repeat(1 << 20)}`],
    ])('refuses a signature %s as malformed_signature', async (_label, change) => {
      const headers = { ...(await octokitHeaders(GITHUB_PUSH_BODY)) };
      headers['x-hub-signature-256'] = change(headers['x-hub-signature-256']!);
      expect(reasonOf(() => verifyGithub(headers))).toBe('malformed_signature');
    });

    it('refuses the signature header sent twice, even with the right value', async () => {
      const signature = await sign(SECRET, GITHUB_PUSH_BODY);
      expect(reasonOf(() => verifyGithub({ 'x-hub-signature-256': [signature, signature] }))).toBe(
        'malformed_signature',
      );
      expect(reasonOf(() => verifyGithub({ 'X-Hub-Signature-256': signature, 'x-hub-signature-256': signature }))).toBe(
        'malformed_signature',
      );
    });

    it('accepts the header as a one-element array, as some frameworks give it', async () => {
      const signature = await sign(SECRET, GITHUB_PUSH_BODY);
      expect(verifyGithub({ 'x-hub-signature-256': [signature] }).event).toBeUndefined();
    });
  });

  describe('declaration and payload', () => {
    it('keeps both signature headers out of logs and keeps the id and event headers for handlers', () => {
      expect(githubProvider.name).toBe('github');
      expect(githubProvider.sensitiveHeaders).toEqual(['x-hub-signature-256', 'x-hub-signature']);
      expect(githubProvider.senderHeaders).toEqual(expect.arrayContaining(['x-github-delivery', 'x-github-event']));
      expect(githubProvider.methods).toEqual(['POST']);
      expect(githubProvider.defaultToleranceSeconds).toBeUndefined();
      expect(githubProvider.signsUrl).toBeUndefined();
    });

    it('parses a JSON delivery as JSON', async () => {
      const incoming = new IncomingWebhook({ 'content-type': 'application/json' }, Buffer.from(GITHUB_PUSH_BODY));
      const { payload } = await githubProvider.parse(incoming);
      expect(payload).toEqual(JSON.parse(GITHUB_PUSH_BODY));
    });

    it('verifies a form delivery over its form bytes and hands handlers the JSON of its payload field', async () => {
      const form = `payload=${encodeURIComponent(GITHUB_PUSH_BODY)}`;
      const headers = { ...(await octokitHeaders(form)), 'content-type': 'application/x-www-form-urlencoded' };
      expect(verifyGithub(headers, form).deliveryId).toBe(DELIVERY_ID);
      const { payload } = await githubProvider.parse(new IncomingWebhook(headers, Buffer.from(form)));
      expect(payload).toEqual(JSON.parse(GITHUB_PUSH_BODY));
    });

    it('refuses a form payload field that is not JSON as unparseable_payload', async () => {
      const incoming = new IncomingWebhook(
        { 'content-type': 'application/x-www-form-urlencoded' },
        Buffer.from('payload=%7Bnot-json'),
      );
      await expect(githubProvider.parse(incoming)).rejects.toThrow(WebhookPayloadError);
      await expect(githubProvider.parse(incoming)).rejects.toMatchObject({ reason: 'unparseable_payload' });
    });

    it('parses a form without a payload field as a plain form', async () => {
      const incoming = new IncomingWebhook(
        { 'content-type': 'application/x-www-form-urlencoded' },
        Buffer.from('a=1&b=2'),
      );
      expect((await githubProvider.parse(incoming)).payload).toEqual({ a: '1', b: '2' });
    });
  });
});
