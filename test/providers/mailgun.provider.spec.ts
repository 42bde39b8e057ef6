import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { signWebhook, verifyWebhook, WebhookConfigurationError, WebhookVerifier } from '../../lib/index.js';
import { mailgunProvider } from '../../lib/providers/mailgun.provider.js';
import { reasonOf, rejectionOf } from '../core/rejections.js';
import { MAILGUN_DELIVERED_EVENT, mailgunDocsVerify, mailgunSender } from '../senders/mailgun.sender.js';

const KEY = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0';
const NOW = new Date('2024-05-01T12:00:00.000Z');
const NOW_S = String(NOW.getTime() / 1000);
// The token of the example in Mailgun's documentation (50 characters).
const TOKEN = 'e0b5477167110d68991efc6b9f89f0a11066af27834600e123';

/** Mailgun's documented signature: hex HMAC-SHA256 of timestamp followed by token. */
function signatureOf(timestamp: string, token = TOKEN, key = KEY): string {
  return createHmac('sha256', key).update(`${timestamp}${token}`).digest('hex');
}

function bodyWith(signature: Record<string, unknown>, rest: Record<string, unknown> = MAILGUN_DELIVERED_EVENT): string {
  return JSON.stringify({ signature, ...rest });
}

const signed = (timestamp = NOW_S, token = TOKEN, key = KEY) =>
  bodyWith({ token, timestamp, signature: signatureOf(timestamp, token, key) });

function verify(
  body: string | Buffer,
  options: { now?: Date; secret?: string | string[]; toleranceSeconds?: number } = {},
) {
  const { now = NOW, secret = KEY, toleranceSeconds } = options;
  return verifyWebhook({
    provider: mailgunProvider,
    secret,
    headers: { 'content-type': 'application/json' },
    rawBody: Buffer.from(body),
    now,
    toleranceSeconds,
  });
}

describe('mailgun provider', () => {
  describe("against the snippet of Mailgun's documentation (Mailgun has no SDK check)", () => {
    it('verifies a body signed as the documentation says: event-data id and event, the signed timestamp', () => {
      expect(verify(signed())).toEqual({ deliveryId: 'CPgfbmQMTCKtHW6uIWtuVe', event: 'delivered', timestamp: NOW });
    });

    it('writes what the snippet accepts, and the snippet refuses a one-byte change of timestamp, token or signature', async () => {
      const delivery = await mailgunSender.delivery({ url: 'https://unused.example/', now: NOW });
      expect(await mailgunSender.sdkAccepts!({ delivery, url: 'https://unused.example/', now: NOW })).toBe(true);
      expect(verify(delivery.body)).toEqual({ ...mailgunSender.expected });
      expect(mailgunSender.floor({ delivery, url: 'https://unused.example/' })).toBe(true);
      const { signature } = JSON.parse(delivery.body.toString()) as {
        signature: { timestamp: string; token: string; signature: string };
      };
      expect(signature.token).toMatch(/^[0-9a-f]{50}$/);
      expect(signature.timestamp).toBe(NOW_S);
      const changes = [
        { ...signature, timestamp: String(Number(signature.timestamp) + 1) },
        { ...signature, token: `${signature.token.slice(0, -1)}${signature.token.endsWith('0') ? '1' : '0'}` },
        {
          ...signature,
          signature: `${signature.signature.slice(0, -1)}${signature.signature.endsWith('0') ? '1' : '0'}`,
        },
      ];
      for (const changed of changes) {
        expect(mailgunDocsVerify({ signingKey: KEY, ...changed })).toBe(false);
        expect(reasonOf(() => verify(bodyWith(changed)))).toBe('invalid_signature');
      }
      expect(mailgunDocsVerify({ signingKey: `${KEY}x`, ...signature })).toBe(false);
    });

    it('writes the signature object first, with the id and event it is given in event-data', () => {
      const result = signWebhook({
        provider: mailgunProvider,
        secret: KEY,
        id: 'evt-9',
        event: 'opened',
        timestamp: NOW,
        payload: { signature: 'dropped', 'event-data': { recipient: 'a@b.c' } },
      });
      const body = JSON.parse(result.body.toString()) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(['signature', 'event-data']);
      expect(body['event-data']).toEqual({ recipient: 'a@b.c', id: 'evt-9', event: 'opened' });
      expect(result.headers).toEqual({ 'content-type': 'application/json' });
      expect(verify(result.body)).toEqual({ deliveryId: 'evt-9', event: 'opened', timestamp: NOW });
    });

    it('signs only a JSON object body', () => {
      for (const payload of ['not json', '[1]', 'null']) {
        expect(() => signWebhook({ provider: mailgunProvider, secret: KEY, payload })).toThrow(
          WebhookConfigurationError,
        );
      }
    });
  });

  describe('the rest of the body is not signed', () => {
    it('still verifies when event-data is changed (documented): only timestamp and token are signed', () => {
      const forged = { 'event-data': { id: 'forged', event: 'failed', recipient: 'x@y.z' } };
      const signature = { token: TOKEN, timestamp: NOW_S, signature: signatureOf(NOW_S) };
      expect(verify(bodyWith(signature, forged))).toEqual({ deliveryId: 'forged', event: 'failed', timestamp: NOW });
      expect(verify(bodyWith(signature, {})).event).toBeUndefined();
    });

    it('falls back to a digest id without event-data.id', () => {
      const result = verify(
        bodyWith({ token: TOKEN, timestamp: NOW_S, signature: signatureOf(NOW_S) }, { 'event-data': [] }),
      );
      expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
      expect(result.deliveryId).not.toContain(signatureOf(NOW_S).slice(0, 16));
    });
  });

  describe('the id of a delivery without event-data.id', () => {
    const eventData = Object.fromEntries(
      Object.entries(MAILGUN_DELIVERED_EVENT['event-data']).filter(([key]) => key !== 'id'),
    ) as Omit<(typeof MAILGUN_DELIVERED_EVENT)['event-data'], 'id'>;
    const withoutId = { 'event-data': eventData };
    /** The first 32 hex characters of the SHA-256 of the body without its `signature` object. */
    const expectedId = (rest: Record<string, unknown>) =>
      createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 32);

    it('gives a retry signed again (new timestamp and token) the same id; other event data another id', () => {
      const first = verify(bodyWith({ token: TOKEN, timestamp: NOW_S, signature: signatureOf(NOW_S) }, withoutId));
      expect(first.deliveryId).toBe(expectedId(withoutId));
      expect(first.event).toBe('delivered');
      // Both inside the 300 s window.
      const later = String(Number(NOW_S) + 240);
      const token = 'f1c6588278221e79aa2fad7cad0a01b22177bf38945711f234';
      const retry = verify(bodyWith({ token, timestamp: later, signature: signatureOf(later, token) }, withoutId), {
        now: new Date(NOW.getTime() + 250_000),
      });
      expect(retry.timestamp).toEqual(new Date(Number(later) * 1000));
      expect(retry.deliveryId).toBe(first.deliveryId);
      const other = { 'event-data': { ...eventData, timestamp: eventData.timestamp + 0.000001 } };
      const another = verify(bodyWith({ token: TOKEN, timestamp: NOW_S, signature: signatureOf(NOW_S) }, other));
      expect(another.deliveryId).toBe(expectedId(other));
      expect(another.deliveryId).not.toBe(first.deliveryId);
    });

    it('works the id out only when it is read, once', () => {
      const result = verify(bodyWith({ token: TOKEN, timestamp: NOW_S, signature: signatureOf(NOW_S) }, withoutId));
      expect(typeof Object.getOwnPropertyDescriptor(result, 'deliveryId')?.get).toBe('function');
      expect(result.deliveryId).toBe(result.deliveryId);
    });
  });

  describe('the window on signature.timestamp (300 s, either side)', () => {
    const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

    it('accepts 300 s either side and refuses 301 s either side', () => {
      expect(verify(signed(), { now: at(300) }).timestamp).toEqual(NOW);
      expect(verify(signed(), { now: at(-300) }).timestamp).toEqual(NOW);
      expect(reasonOf(() => verify(signed(), { now: at(301) }))).toBe('timestamp_out_of_window');
      expect(reasonOf(() => verify(signed(), { now: at(-301) }))).toBe('timestamp_out_of_window');
    });

    it('follows a configured window, and none with 0', () => {
      expect(reasonOf(() => verify(signed(), { now: at(61), toleranceSeconds: 60 }))).toBe('timestamp_out_of_window');
      expect(verify(signed(), { now: at(86_400 * 365), toleranceSeconds: 0 }).timestamp).toEqual(NOW);
    });

    it('reads a timestamp written as a JSON integer as its digits', () => {
      const body = bodyWith({ token: TOKEN, timestamp: Number(NOW_S), signature: signatureOf(NOW_S) });
      expect(verify(body).timestamp).toEqual(NOW);
    });

    it('refuses a missing or malformed timestamp, even with the window off', () => {
      const signature = signatureOf(NOW_S);
      for (const timestamp of [undefined, '', null]) {
        expect(reasonOf(() => verify(bodyWith({ token: TOKEN, timestamp, signature }), { toleranceSeconds: 0 }))).toBe(
          'missing_timestamp',
        );
      }
      for (const timestamp of [
        'yesterday',
        '-5',
        '1714564800.5',
        1714564800.5,
        true,
        ['1714564800'],
        { t: 1 },
        '9'.repeat(40),
      ]) {
        expect(reasonOf(() => verify(bodyWith({ token: TOKEN, timestamp, signature }), { toleranceSeconds: 0 }))).toBe(
          'malformed_timestamp',
        );
      }
    });
  });

  describe('subaccounts: parent-signature', () => {
    const parentKey = 'key-parent-0000000000000000000000000';

    it("accepts the parent's signature when the primary account's key is configured", () => {
      const body = bodyWith({
        token: TOKEN,
        timestamp: NOW_S,
        signature: signatureOf(NOW_S, TOKEN, 'key-subaccount-11111111111111111111'),
        'parent-signature': signatureOf(NOW_S, TOKEN, parentKey),
      });
      expect(verify(body, { secret: parentKey }).event).toBe('delivered');
      expect(reasonOf(() => verify(body))).toBe('invalid_signature');
    });

    it("accepts the subaccount's own signature beside a parent-signature", () => {
      const body = bodyWith({
        token: TOKEN,
        timestamp: NOW_S,
        signature: signatureOf(NOW_S),
        'parent-signature': signatureOf(NOW_S, TOKEN, parentKey),
      });
      expect(verify(body).event).toBe('delivered');
    });
  });

  describe('signatures and secrets', () => {
    it('verifies with a rotation list, signed with either key', () => {
      const old = 'key-old-000000000000000000000000000';
      for (const key of [KEY, old]) {
        expect(verify(signed(NOW_S, TOKEN, key), { secret: [KEY, old] }).event).toBe('delivered');
      }
      expect(reasonOf(() => verify(signed(NOW_S, TOKEN, old)))).toBe('invalid_signature');
    });

    it('needs a secret', () => {
      expect(() => new WebhookVerifier({ provider: mailgunProvider, secret: [] })).toThrow(WebhookConfigurationError);
    });
  });

  describe('hostile bodies: a clean reason, never a TypeError', () => {
    const signature = signatureOf(NOW_S);

    it('calls a body that is not a JSON object a malformed signature', () => {
      for (const body of ['', 'not json', '{"signature":', '[]', '"text"', '42', 'null', Buffer.from([0xff, 0xfe])]) {
        expect(reasonOf(() => verify(body))).toBe('malformed_signature');
      }
    });

    it('calls a body without its signature object or signature.signature a missing signature', () => {
      for (const block of [undefined, null, 'abc', 42, [signature]]) {
        expect(reasonOf(() => verify(JSON.stringify({ signature: block, 'event-data': {} })))).toBe(
          'missing_signature',
        );
      }
      for (const missing of [undefined, null, '']) {
        expect(reasonOf(() => verify(bodyWith({ token: TOKEN, timestamp: NOW_S, signature: missing })))).toBe(
          'missing_signature',
        );
      }
    });

    it('calls a signature or token of the wrong shape malformed', () => {
      for (const bad of [
        42,
        ['x'],
        { a: 1 },
        signature.slice(1),
        `${signature}00`,
        'z'.repeat(64),
        Buffer.from(signature, 'hex').toString('base64'),
      ]) {
        expect(reasonOf(() => verify(bodyWith({ token: TOKEN, timestamp: NOW_S, signature: bad })))).toBe(
          'malformed_signature',
        );
      }
      for (const token of [undefined, '', 42, null, ['t']]) {
        expect(reasonOf(() => verify(bodyWith({ token, timestamp: NOW_S, signature })))).toBe('malformed_signature');
      }
    });

    it('verifies a large body once and names failures without the key', () => {
      const big = { 'event-data': { id: 'big', event: 'stored', blob: 'x'.repeat(2_000_000) } };
      const body = bodyWith({ token: TOKEN, timestamp: NOW_S, signature }, big);
      expect(verify(body).deliveryId).toBe('big');
      const error = rejectionOf(() => verify(bodyWith({ token: `${TOKEN}x`, timestamp: NOW_S, signature })));
      expect(error.reason).toBe('invalid_signature');
      expect(error.message).not.toContain(KEY);
    });
  });
});
