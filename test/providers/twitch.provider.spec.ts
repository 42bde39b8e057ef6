import crypto from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { signWebhook, verifyWebhook, WebhookConfigurationError, type WebhookHeaders } from '../../lib/index.js';
import { twitchProvider } from '../../lib/providers/twitch.provider.js';
import { twitchSender } from '../senders/twitch.sender.js';
import { flipByte, isRejected, reasonOf } from '../core/rejections.js';

const SECRET = 's3cRe7-eventsub-9f2c41d8a7';
const MESSAGE_ID = 'befa7b53-d79d-478f-86b9-120f112b044e';
const SENT_TEXT = '2019-11-16T10:11:12.634234626Z';
const SENT = new Date('2019-11-16T10:11:12.634Z');
const SUBSCRIPTION = {
  id: 'f1c2a387-161a-49f9-a165-0f21d7a4e1c4',
  status: 'enabled',
  type: 'channel.follow',
  version: '2',
  cost: 0,
  condition: { broadcaster_user_id: '1337', moderator_user_id: '1337' },
  transport: { method: 'webhook', callback: 'https://example.com/webhooks/callback' },
  created_at: '2019-11-16T10:11:12.634234626Z',
};
const FOLLOW = JSON.stringify({
  subscription: SUBSCRIPTION,
  event: {
    user_id: '1234',
    user_login: 'cool_user',
    broadcaster_user_id: '1337',
    followed_at: '2020-07-15T18:16:11.17106713Z',
  },
});
const CHALLENGE = 'pogchamp-kappa-360noscope-vohiyo';
const VERIFICATION = JSON.stringify({
  challenge: CHALLENGE,
  subscription: { ...SUBSCRIPTION, status: 'webhook_callback_verification_pending' },
});
const REVOKED = JSON.stringify({ subscription: { ...SUBSCRIPTION, status: 'authorization_revoked' } });

/** Twitch's recipe by hand: `sha256=` + hex HMAC-SHA256 of id + timestamp + body. */
function signature(id: string, timestamp: string, body: string | Buffer, secret = SECRET): string {
  return `sha256=${crypto
    .createHmac('sha256', secret)
    .update(id + timestamp)
    .update(body)
    .digest('hex')}`;
}

function headersFor(
  body: string | Buffer,
  options: { id?: string; timestamp?: string; type?: string; subscription?: string; secret?: string } = {},
): Record<string, string> {
  const { id = MESSAGE_ID, timestamp = SENT_TEXT, type = 'notification', subscription = 'channel.follow' } = options;
  return {
    'content-type': 'application/json',
    'twitch-eventsub-message-id': id,
    'twitch-eventsub-message-retry': '0',
    'twitch-eventsub-message-type': type,
    'twitch-eventsub-message-signature': signature(id, timestamp, body, options.secret),
    'twitch-eventsub-message-timestamp': timestamp,
    'twitch-eventsub-subscription-type': subscription,
    'twitch-eventsub-subscription-version': '2',
  };
}

function verify(
  headers: WebhookHeaders,
  body: string | Buffer,
  options: { secret?: string | string[]; now?: Date; toleranceSeconds?: number } = {},
) {
  const { secret = SECRET, now = SENT, toleranceSeconds } = options;
  return verifyWebhook({
    provider: twitchProvider,
    secret,
    headers,
    rawBody: Buffer.from(body),
    now,
    toleranceSeconds,
  });
}

/** The verification example of Twitch's "Handling webhook events", as written. */
function twitchExampleAccepts(headers: Record<string, string>, body: Buffer, secret = SECRET): boolean {
  const message =
    headers['twitch-eventsub-message-id']! + headers['twitch-eventsub-message-timestamp']! + body.toString();
  const hmac = 'sha256=' + crypto.createHmac('sha256', secret).update(message).digest('hex');
  try {
    return crypto.timingSafeEqual(Buffer.from(hmac), Buffer.from(headers['twitch-eventsub-message-signature']!));
  } catch {
    return false;
  }
}

function without(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));
}

describe('twitch provider', () => {
  describe("against the verification example of Twitch's documentation", () => {
    it('accepts what signWebhook signs, and refuses it with one byte of the body, id or timestamp changed', () => {
      const signed = signWebhook({
        provider: twitchProvider,
        secret: SECRET,
        payload: FOLLOW,
        timestamp: SENT,
        id: MESSAGE_ID,
      });
      expect(twitchExampleAccepts(signed.headers, signed.body)).toBe(true);
      for (let offset = 0; offset < signed.body.length; offset += 5) {
        expect(twitchExampleAccepts(signed.headers, flipByte(signed.body, offset, 0x01))).toBe(false);
      }
      const otherId = { ...signed.headers, 'twitch-eventsub-message-id': MESSAGE_ID.replace('b', 'c') };
      expect(twitchExampleAccepts(otherId, signed.body)).toBe(false);
      const otherTime = {
        ...signed.headers,
        'twitch-eventsub-message-timestamp': signed.headers['twitch-eventsub-message-timestamp']!.replace(
          '12.634',
          '12.635',
        ),
      };
      expect(twitchExampleAccepts(otherTime, signed.body)).toBe(false);
      expect(twitchExampleAccepts(signed.headers, signed.body, `${SECRET}x`)).toBe(false);
    });

    it('verifies what the documented recipe signs, and refuses it with one byte of the body, id or timestamp changed', () => {
      const headers = headersFor(FOLLOW);
      expect(verify(headers, FOLLOW).deliveryId).toBe(MESSAGE_ID);
      for (let offset = 0; offset < FOLLOW.length; offset += 5) {
        expect(reasonOf(() => verify(headers, flipByte(Buffer.from(FOLLOW), offset, 0x01)))).toBe('invalid_signature');
      }
      expect(
        reasonOf(() => verify({ ...headers, 'twitch-eventsub-message-id': MESSAGE_ID.replace('b', 'c') }, FOLLOW)),
      ).toBe('invalid_signature');
      const otherTime = { ...headers, 'twitch-eventsub-message-timestamp': SENT_TEXT.replace('626Z', '627Z') };
      expect(reasonOf(() => verify(otherTime, FOLLOW))).toBe('invalid_signature');
      expect(reasonOf(() => verify(headers, FOLLOW, { secret: `${SECRET}x` }))).toBe('invalid_signature');
    });

    it('writes the headers Twitch sends, with a nanosecond timestamp', () => {
      const signed = signWebhook({
        provider: twitchProvider,
        secret: SECRET,
        payload: FOLLOW,
        timestamp: SENT,
        id: MESSAGE_ID,
      });
      expect(signed.headers).toEqual({
        ...headersFor(FOLLOW, { timestamp: '2019-11-16T10:11:12.634000000Z' }),
      });
      const verification = signWebhook({
        provider: twitchProvider,
        secret: SECRET,
        payload: VERIFICATION,
        timestamp: SENT,
      });
      expect(verification.headers['twitch-eventsub-message-type']).toBe('webhook_callback_verification');
      expect(verification.headers['twitch-eventsub-message-id']).toMatch(/^[0-9a-f-]{36}$/);
      const revoked = signWebhook({ provider: twitchProvider, secret: SECRET, payload: REVOKED, timestamp: SENT });
      expect(revoked.headers['twitch-eventsub-message-type']).toBe('revocation');
      expect(revoked.headers['twitch-eventsub-subscription-type']).toBe('channel.follow');
    });
  });

  describe('delivery id, event and timestamp', () => {
    it('the message id, the subscription type, the RFC 3339 timestamp', () => {
      expect(verify(headersFor(FOLLOW), FOLLOW)).toEqual({
        deliveryId: MESSAGE_ID,
        event: 'channel.follow',
        timestamp: SENT,
        handshake: undefined,
      });
    });

    it('a revocation message is the event revocation', () => {
      const headers = headersFor(REVOKED, { type: 'revocation' });
      expect(verify(headers, REVOKED).event).toBe('revocation');
    });

    it.each([
      ['with an offset', '2019-11-16T11:11:12.634234626+01:00'],
      ['without a fraction', '2019-11-16T10:11:12Z'],
      ['with milliseconds', '2019-11-16T10:11:12.634Z'],
    ])('reads a timestamp %s', (_label, timestamp) => {
      const result = verify(headersFor(FOLLOW, { timestamp }), FOLLOW);
      expect(Math.abs(result.timestamp!.getTime() - SENT.getTime())).toBeLessThan(1000);
    });

    it('verifies a body that is not JSON cleanly: the events come from headers', () => {
      const body = 'not json {';
      const result = verify(headersFor(body, { type: 'webhook_callback_verification' }), body);
      expect(result.deliveryId).toBe(MESSAGE_ID);
      expect(result.handshake).toBeUndefined();
    });
  });

  describe('window', () => {
    const headers = headersFor(FOLLOW);
    const at = (seconds: number) => new Date(SENT.getTime() + seconds * 1000);

    it('is 600 s either way by default, configurable, off with 0', () => {
      expect(verify(headers, FOLLOW, { now: at(600) }).timestamp).toEqual(SENT);
      expect(verify(headers, FOLLOW, { now: at(-600) }).timestamp).toEqual(SENT);
      expect(reasonOf(() => verify(headers, FOLLOW, { now: at(601) }))).toBe('timestamp_out_of_window');
      expect(reasonOf(() => verify(headers, FOLLOW, { now: at(-601) }))).toBe('timestamp_out_of_window');
      expect(reasonOf(() => verify(headers, FOLLOW, { now: at(301), toleranceSeconds: 300 }))).toBe(
        'timestamp_out_of_window',
      );
      expect(verify(headers, FOLLOW, { now: at(86_400 * 365), toleranceSeconds: 0 }).deliveryId).toBe(MESSAGE_ID);
    });
  });

  describe('rotation', () => {
    it('verifies with either secret of [new, old] and signs with the first', () => {
      const next = 'n3w-eventsub-secret-5b7e90';
      expect(verify(headersFor(FOLLOW), FOLLOW, { secret: [next, SECRET] }).deliveryId).toBe(MESSAGE_ID);
      const byNew = headersFor(FOLLOW, { secret: next });
      expect(verify(byNew, FOLLOW, { secret: [next, SECRET] }).deliveryId).toBe(MESSAGE_ID);
      expect(reasonOf(() => verify(byNew, FOLLOW))).toBe('invalid_signature');
      const signed = signWebhook({
        provider: twitchProvider,
        secret: [next, SECRET],
        payload: FOLLOW,
        timestamp: SENT,
        id: MESSAGE_ID,
      });
      expect(twitchExampleAccepts(signed.headers, signed.body, next)).toBe(true);
    });
  });

  describe('malformed headers', () => {
    const good = headersFor(FOLLOW);
    const signatureValue = good['twitch-eventsub-message-signature']!;

    it('a missing signature is missing_signature, a missing id malformed_signature, a missing timestamp missing_timestamp', () => {
      expect(reasonOf(() => verify(without(good, 'twitch-eventsub-message-signature'), FOLLOW))).toBe(
        'missing_signature',
      );
      expect(reasonOf(() => verify(without(good, 'twitch-eventsub-message-id'), FOLLOW))).toBe('malformed_signature');
      expect(reasonOf(() => verify(without(good, 'twitch-eventsub-message-timestamp'), FOLLOW))).toBe(
        'missing_timestamp',
      );
    });

    it.each([
      ['without its prefix', signatureValue.slice(7)],
      ['in upper-case SHA256=', `SHA256=${signatureValue.slice(7)}`],
      ['not hex', `sha256=${'x'.repeat(64)}`],
      ['of the wrong length', signatureValue.slice(0, -4)],
      ['sent twice', [signatureValue, signatureValue]],
      ['a thousand times in one header', Array.from({ length: 1000 }, () => signatureValue).join(',')],
    ])('a signature %s is malformed_signature', (_label, value) => {
      expect(reasonOf(() => verify({ ...good, 'twitch-eventsub-message-signature': value }, FOLLOW))).toBe(
        'malformed_signature',
      );
    });

    it('a signature of another algorithm is unsupported_algorithm', () => {
      const sha1 = `sha1=${crypto
        .createHmac('sha1', SECRET)
        .update(MESSAGE_ID + SENT_TEXT + FOLLOW)
        .digest('hex')}`;
      expect(reasonOf(() => verify({ ...good, 'twitch-eventsub-message-signature': sha1 }, FOLLOW))).toBe(
        'unsupported_algorithm',
      );
    });

    it.each([
      ['in epoch seconds', String(SENT.getTime() / 1000)],
      ['without an offset', '2019-11-16T10:11:12.634234626'],
      ['with ten fraction digits', '2019-11-16T10:11:12.6342346260Z'],
      ['not a date', '2019-13-45T10:11:12Z'],
      ['sent twice', [SENT_TEXT, SENT_TEXT]],
    ])('a timestamp %s is malformed_timestamp', (_label, value) => {
      const headers = { ...good, 'twitch-eventsub-message-timestamp': value };
      expect(reasonOf(() => verify(headers, FOLLOW, { toleranceSeconds: 0 }))).toBe('malformed_timestamp');
    });

    it('refuses a signature moved across the unseparated id and timestamp, even with the window off', () => {
      // The same signed bytes, split at another place: the timestamp no longer parses.
      const shifted = {
        ...good,
        'twitch-eventsub-message-id': `${MESSAGE_ID}2`,
        'twitch-eventsub-message-timestamp': SENT_TEXT.slice(1),
      };
      expect(reasonOf(() => verify(shifted, FOLLOW, { toleranceSeconds: 0 }))).toBe('malformed_timestamp');
    });

    it('a repeated subscription type or message type is malformed_signature', () => {
      expect(reasonOf(() => verify({ ...good, 'twitch-eventsub-subscription-type': ['a', 'b'] }, FOLLOW))).toBe(
        'malformed_signature',
      );
      expect(
        reasonOf(() => verify({ ...good, 'twitch-eventsub-message-type': ['notification', 'revocation'] }, FOLLOW)),
      ).toBe('malformed_signature');
    });

    it('refuses no secret or an empty one at configuration', () => {
      expect(() => signWebhook({ provider: twitchProvider, payload: FOLLOW })).toThrow(WebhookConfigurationError);
      expect(() => signWebhook({ provider: twitchProvider, secret: '', payload: FOLLOW })).toThrow(
        WebhookConfigurationError,
      );
    });
  });

  describe('webhook_callback_verification handshake', () => {
    const headers = headersFor(VERIFICATION, { type: 'webhook_callback_verification' });

    it('answers 200 text/plain with the challenge once the signature verifies', () => {
      const answer = verify(headers, VERIFICATION).handshake!;
      expect(answer.status).toBe(200);
      expect(answer.contentType).toMatch(/^text\/plain/);
      expect(answer.body).toBe(CHALLENGE);
    });

    it('is never answered without a valid signature', () => {
      expect(reasonOf(() => verify(without(headers, 'twitch-eventsub-message-signature'), VERIFICATION))).toBe(
        'missing_signature',
      );
      expect(reasonOf(() => verify(headers, VERIFICATION.replace(CHALLENGE, 'attacker-chosen-challenge')))).toBe(
        'invalid_signature',
      );
      expect(reasonOf(() => verify(headers, VERIFICATION, { secret: 'another-secret' }))).toBe('invalid_signature');
    });

    it('is only a handshake for a verification message with a string challenge', () => {
      expect(verify(headersFor(VERIFICATION), VERIFICATION).handshake).toBeUndefined();
      const noChallenge = JSON.stringify({ subscription: SUBSCRIPTION });
      expect(
        verify(headersFor(noChallenge, { type: 'webhook_callback_verification' }), noChallenge).handshake,
      ).toBeUndefined();
    });
  });

  describe('sender fixture', () => {
    it('delivers what the provider verifies, the documented check and the floor accept, and a changed byte fails all', async () => {
      const now = new Date();
      const url = 'https://hooks.example.com/webhooks/twitch';
      const delivery = await twitchSender.delivery({ url, now });
      const result = verify(delivery.headers, delivery.body, { now });
      expect({ deliveryId: result.deliveryId, event: result.event }).toEqual(twitchSender.expected);
      expect(await twitchSender.sdkAccepts!({ delivery, url, now })).toBe(true);
      expect(twitchSender.floor({ delivery, url })).toBe(true);
      const tampered = { ...delivery, body: flipByte(delivery.body, 30, 0x01) };
      expect(await twitchSender.sdkAccepts!({ delivery: tampered, url, now })).toBe(false);
      expect(twitchSender.floor({ delivery: tampered, url })).toBe(false);
      expect(isRejected(() => verify(tampered.headers, tampered.body, { now }))).toBe(true);
    });

    it('has a webhook_callback_verification handshake the provider answers as expected', async () => {
      const now = new Date();
      const [handshake] = twitchSender.handshakes!;
      const delivery = await handshake!.delivery({ url: 'https://hooks.example.com/webhooks/twitch', now });
      const answer = verify(delivery.headers, delivery.body, { now }).handshake!;
      expect(answer.status).toBe(handshake!.expected.status);
      expect(answer.contentType?.split(';')[0]).toBe(handshake!.expected.contentType);
      expect(answer.body).toBe(handshake!.expected.body);
    });
  });
});
