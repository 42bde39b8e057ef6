import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Paddle } from '@paddle/paddle-node-sdk';
import {
  IncomingWebhook,
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
  type WebhookHeaders,
} from '../../lib/index.js';
import { paddleProvider } from '../../lib/providers/paddle.provider.js';
import { flipByte, reasonOf } from '../core/rejections.js';
import { paddleSender } from '../senders/paddle.sender.js';

const SECRET = 'pdl_ntfset_01hz3m5n7p9q1r3s5t7v9w1x3y_Qm8Lr2Tz6Vb0Nx4Kc7Hs1Jd9Fg3Wp5Ya';
const OLD_SECRET = 'pdl_ntfset_01hx8w6v4t2s0r8q6p4n2m0k8j_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv';
const SENT = new Date('2024-06-10T12:21:54Z');
const TS = SENT.getTime() / 1000;
/** A `transaction.completed` notification as Paddle Billing posts it (compact JSON). */
const EVENT =
  '{"event_id":"evt_01hz3m9c2d4f6g8h0j2k4m6n8p","event_type":"transaction.completed",' +
  '"occurred_at":"2024-06-10T12:21:53.917623Z","notification_id":"ntf_01hz3m9c5e7g9j1k3m5n7p9q1r",' +
  '"data":{"id":"txn_01hz3m7x1y3z5a7b9c1d3e5f7g","status":"completed","customer_id":"ctm_01hz3m6w",' +
  '"currency_code":"EUR","origin":"web","details":{"totals":{"subtotal":"3000","tax":"570","total":"3570"}},' +
  '"custom_data":{"note":"Café crème ☕"}}}';
const BODY = Buffer.from(EVENT, 'utf8');

// Paddle's own test vectors (`webhooks-validator.node.test.ts` of @paddle/paddle-node-sdk).
const VECTOR = {
  secret: 'VALID_SECRET',
  body: '{"data": ["1", "2"]}',
  header: 'ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9',
  multipleBody: '{"data": "value"}',
  multipleHeader:
    'ts=1698796800;h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261;' +
    'h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261;h2=RANDOM_HASH',
  sent: new Date(1698796800 * 1000),
};

const REAL_DATE = globalThis.Date;
const paddle = new Paddle('pdl_sdbx_apikey_not_used_by_webhook_helpers');

/** Paddle's SDK verdict at `now`: it reads the clock itself, so the clock is set first (as Paddle's own tests do). */
async function sdkAccepts(body: Buffer | string, header: string, now = SENT, secret = SECRET): Promise<boolean> {
  jest.useFakeTimers({ now, doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  try {
    return await paddle.webhooks.isSignatureValid(body.toString(), secret, header);
  } catch {
    return false;
  } finally {
    jest.useRealTimers();
  }
}

function verify(
  headers: WebhookHeaders,
  rawBody: Buffer | string = BODY,
  options: { secret?: string | string[]; now?: Date; toleranceSeconds?: number } = {},
) {
  const { secret = SECRET, now = SENT, toleranceSeconds } = options;
  return verifyWebhook({
    provider: paddleProvider,
    secret,
    headers,
    rawBody: Buffer.from(rawBody),
    now,
    toleranceSeconds,
  });
}

/** The documented scheme by hand: hex HMAC-SHA256 of `<ts>:<body>` keyed with the secret's UTF-8 bytes. */
function h1(body: string | Buffer, ts: number | string = TS, secret = SECRET): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${ts}:`).update(body).digest('hex');
}

const at = (base: Date, seconds: number) => new Date(base.getTime() + seconds * 1000);

describe('paddle provider', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  describe("Paddle's SDK test vectors", () => {
    it('verifies the valid vector from 0 to 5 s after its ts, and refuses it at 6 s, as the SDK does', async () => {
      const headers = { 'paddle-signature': VECTOR.header };
      for (const seconds of [0, 1, 5]) {
        const now = at(VECTOR.sent, seconds);
        expect(verify(headers, VECTOR.body, { secret: VECTOR.secret, now }).timestamp).toEqual(VECTOR.sent);
        expect(await sdkAccepts(VECTOR.body, VECTOR.header, now, VECTOR.secret)).toBe(true);
      }
      for (const seconds of [6, 4 * 86_400]) {
        const now = at(VECTOR.sent, seconds);
        expect(reasonOf(() => verify(headers, VECTOR.body, { secret: VECTOR.secret, now }))).toBe(
          'timestamp_out_of_window',
        );
        expect(await sdkAccepts(VECTOR.body, VECTOR.header, now, VECTOR.secret)).toBe(false);
      }
    });

    it('verifies the vector with two h1 entries and an h2 it ignores', () => {
      const result = verify({ 'paddle-signature': VECTOR.multipleHeader }, VECTOR.multipleBody, {
        secret: VECTOR.secret,
        now: VECTOR.sent,
      });
      expect(result.timestamp).toEqual(VECTOR.sent);
    });

    it('refuses the vector with another secret, with more spaces in the body, or with another ts', () => {
      const options = { secret: VECTOR.secret, now: VECTOR.sent };
      const headers = { 'paddle-signature': VECTOR.header };
      expect(reasonOf(() => verify(headers, VECTOR.body, { ...options, secret: 'INVALID_VALID_SECRET' }))).toBe(
        'invalid_signature',
      );
      expect(reasonOf(() => verify(headers, '{ "data": [ "1", "2" ]}', options))).toBe('invalid_signature');
      const otherTs = { 'paddle-signature': VECTOR.header.replace('ts=1698796800', 'ts=9876') };
      expect(reasonOf(() => verify(otherTs, VECTOR.body, options))).toBe('timestamp_out_of_window');
      expect(reasonOf(() => verify(otherTs, VECTOR.body, { ...options, toleranceSeconds: 0 }))).toBe(
        'invalid_signature',
      );
    });

    it.each([
      ['Missing TS and H1', 'invalid_header'],
      ['Missing TS', 'h1=invalid_header'],
      ['Missing H1', 'ts=1698796800;h2=invalid_header'],
      ['Invalid signature', 'ts=1698796800;h1=invalid_signature'],
    ])('refuses the malformed vector header "%s" as malformed', (_name, header) => {
      expect(
        reasonOf(() =>
          verify({ 'paddle-signature': header }, VECTOR.body, { secret: VECTOR.secret, now: VECTOR.sent }),
        ),
      ).toBe('malformed_signature');
    });
  });

  describe("against Paddle's SDK (it verifies, it does not sign)", () => {
    it('writes what isSignatureValid accepts, as the documented scheme', async () => {
      const signed = signWebhook({ provider: paddleProvider, secret: SECRET, payload: BODY, timestamp: SENT });
      expect(signed.headers).toEqual({
        'content-type': 'application/json',
        'paddle-signature': `ts=${TS};h1=${h1(BODY)}`,
      });
      expect(signed.body.equals(BODY)).toBe(true);
      expect(await sdkAccepts(signed.body, signed.headers['paddle-signature']!)).toBe(true);
      expect(verify(signed.headers, signed.body)).toEqual({
        deliveryId: 'evt_01hz3m9c2d4f6g8h0j2k4m6n8p',
        event: 'transaction.completed',
        timestamp: SENT,
      });
    });

    it('has the SDK refuse what we sign once a byte of the body, the ts or the secret changes', async () => {
      const signed = signWebhook({ provider: paddleProvider, secret: SECRET, payload: BODY, timestamp: SENT });
      const header = signed.headers['paddle-signature']!;
      for (let index = 0; index < BODY.length; index += 17) {
        expect(await sdkAccepts(flipByte(signed.body, index, 0x01), header)).toBe(false);
        expect(reasonOf(() => verify(signed.headers, flipByte(signed.body, index, 0x01)))).toBe('invalid_signature');
      }
      const otherTs = header.replace(`ts=${TS}`, `ts=${TS - 1}`);
      expect(await sdkAccepts(signed.body, otherTs)).toBe(false);
      expect(reasonOf(() => verify({ 'paddle-signature': otherTs }))).toBe('invalid_signature');
      expect(await sdkAccepts(signed.body, header, SENT, OLD_SECRET)).toBe(false);
    });

    it('agrees with the SDK on the window: refused from 6 s old, a future ts accepted', async () => {
      const header = `ts=${TS};h1=${h1(BODY)}`;
      expect(await sdkAccepts(BODY, header, at(SENT, 5))).toBe(true);
      expect(verify({ 'paddle-signature': header }, BODY, { now: at(SENT, 5) }).timestamp).toEqual(SENT);
      expect(await sdkAccepts(BODY, header, at(SENT, 6))).toBe(false);
      expect(reasonOf(() => verify({ 'paddle-signature': header }, BODY, { now: at(SENT, 6) }))).toBe(
        'timestamp_out_of_window',
      );
      expect(await sdkAccepts(BODY, header, at(SENT, -600))).toBe(true);
      expect(verify({ 'paddle-signature': header }, BODY, { now: at(SENT, -600) }).timestamp).toEqual(SENT);
    });
  });

  describe('signatures, rotation and the window', () => {
    it('accepts any h1 that matches: the SDK checks only the last, we check each', async () => {
      const header = `ts=${TS};h1=${h1(BODY)};h1=${h1(BODY, TS, OLD_SECRET)}`;
      expect(verify({ 'paddle-signature': header }).deliveryId).toBe('evt_01hz3m9c2d4f6g8h0j2k4m6n8p');
      expect(await sdkAccepts(BODY, header)).toBe(false);
      expect(await sdkAccepts(BODY, header, SENT, OLD_SECRET)).toBe(true);
    });

    it('verifies with [new, old] secrets a delivery signed with either, and signs with the first', () => {
      for (const secret of [SECRET, OLD_SECRET]) {
        const headers = { 'paddle-signature': `ts=${TS};h1=${h1(BODY, TS, secret)}` };
        expect(verify(headers, BODY, { secret: [SECRET, OLD_SECRET] }).event).toBe('transaction.completed');
      }
      const signed = signWebhook({
        provider: paddleProvider,
        secret: [SECRET, OLD_SECRET],
        payload: BODY,
        timestamp: SENT,
      });
      expect(signed.headers['paddle-signature']).toBe(`ts=${TS};h1=${h1(BODY)}`);
    });

    it('has a 5 s window by default that a source can widen or turn off', () => {
      const headers = { 'paddle-signature': `ts=${TS};h1=${h1(BODY)}` };
      expect(reasonOf(() => verify(headers, BODY, { now: at(SENT, 60) }))).toBe('timestamp_out_of_window');
      expect(verify(headers, BODY, { now: at(SENT, 60), toleranceSeconds: 60 }).timestamp).toEqual(SENT);
      expect(verify(headers, BODY, { now: at(SENT, 86_400), toleranceSeconds: 0 }).timestamp).toEqual(SENT);
    });
  });

  describe('malformed and hostile headers', () => {
    const valid = `ts=${TS};h1=${h1(BODY)}`;

    it.each([
      ['absent', {}, 'missing_signature'],
      ['empty', { 'paddle-signature': '' }, 'missing_signature'],
      ['sent twice', { 'paddle-signature': [valid, valid] }, 'malformed_signature'],
      ['sent twice and joined by Node', { 'paddle-signature': `${valid}, ${valid}` }, 'malformed_signature'],
      ['without ts', { 'paddle-signature': `h1=${h1(BODY)}` }, 'malformed_signature'],
      ['with two ts', { 'paddle-signature': `ts=${TS};ts=${TS};h1=${h1(BODY)}` }, 'malformed_signature'],
      ['with ts but no h1', { 'paddle-signature': `ts=${TS}` }, 'malformed_signature'],
      ["in Stripe's shape", { 'paddle-signature': `t=${TS},v1=${h1(BODY)}` }, 'malformed_signature'],
      ['with a ts that is not a number', { 'paddle-signature': `ts=now;h1=${h1(BODY)}` }, 'malformed_timestamp'],
      ['with a ts in milliseconds', { 'paddle-signature': `ts=${TS}000;h1=${h1(BODY)}` }, 'malformed_timestamp'],
      ['with an h1 that is not hex', { 'paddle-signature': `ts=${TS};h1=${'g'.repeat(64)}` }, 'malformed_signature'],
      ['with an h1 cut short', { 'paddle-signature': `ts=${TS};h1=${h1(BODY).slice(1)}` }, 'malformed_signature'],
    ] as const)('refuses a header %s', (_name, headers, reason) => {
      expect(reasonOf(() => verify(headers))).toBe(reason);
    });

    it('refuses a list of more than 16 signatures before hashing anything', () => {
      const many = Array.from({ length: 1000 }, () => `h1=${'0'.repeat(64)}`).join(';');
      expect(reasonOf(() => verify({ 'paddle-signature': `ts=${TS};${many};h1=${h1(BODY)}` }))).toBe(
        'malformed_signature',
      );
    });

    it('accepts spaces around entries, a one-element array and any header case', () => {
      expect(verify({ 'paddle-signature': ` ts=${TS} ; h1=${h1(BODY)} ` }).timestamp).toEqual(SENT);
      expect(verify({ 'paddle-signature': [valid] }).timestamp).toEqual(SENT);
      expect(verify({ 'Paddle-Signature': valid }).timestamp).toEqual(SENT);
    });
  });

  describe('the body', () => {
    it('does not parse the body to verify it; event_id and event_type are read from it on first use', () => {
      const delivery = new IncomingWebhook({ 'paddle-signature': `ts=${TS};h1=${h1(BODY)}` }, BODY);
      const json = jest.spyOn(delivery, 'json');
      const keys = paddleProvider.prepareKeys({ secrets: [SECRET] });
      const result = paddleProvider.verify(delivery, keys, { toleranceSeconds: 5, now: SENT });
      expect(json).not.toHaveBeenCalled();
      expect(result.deliveryId).toBe('evt_01hz3m9c2d4f6g8h0j2k4m6n8p');
      expect(json).toHaveBeenCalled();
      expect(result.event).toBe('transaction.completed');
    });

    it('verifies a signed body that is not JSON or has no event_id: a digest stands in, with no event', () => {
      for (const body of ['not json', '[]', '{"event_id":null,"event_type":{}}', '']) {
        const result = verify({ 'paddle-signature': `ts=${TS};h1=${h1(body)}` }, body);
        expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
        expect(result.event).toBeUndefined();
      }
    });
  });

  it('needs a secret', () => {
    const headers = { 'paddle-signature': `ts=${TS};h1=${h1(BODY)}` };
    expect(() => verifyWebhook({ provider: paddleProvider, headers, rawBody: BODY })).toThrow(
      WebhookConfigurationError,
    );
    expect(() => verifyWebhook({ provider: paddleProvider, secret: [], headers, rawBody: BODY })).toThrow(
      WebhookConfigurationError,
    );
  });

  describe('the sender fixture', () => {
    const url = 'https://hooks.example.com/webhooks/paddle';

    it.each([
      ['now', () => new Date()],
      ['a fixed past time (the SDK is run on that clock)', () => SENT],
    ])(
      'at %s: a delivery the provider verifies, the SDK accepts and the floor checks; one changed byte fails all three',
      async (_when, clock) => {
        const now = clock();
        const delivery = await paddleSender.delivery({ url, now });
        const verifyBody = (rawBody: Buffer) =>
          verifyWebhook({
            provider: paddleProvider,
            secret: paddleSender.secret,
            headers: delivery.headers,
            rawBody,
            now,
          });
        expect(verifyBody(delivery.body)).toMatchObject(paddleSender.expected);
        expect(await paddleSender.sdkAccepts!({ delivery, url, now })).toBe(true);
        expect(paddleSender.floor({ delivery, url })).toBe(true);
        const tampered = { ...delivery, body: flipByte(delivery.body, 30, 0x01) };
        expect(reasonOf(() => verifyBody(tampered.body))).toBe('invalid_signature');
        expect(await paddleSender.sdkAccepts!({ delivery: tampered, url, now })).toBe(false);
        expect(paddleSender.floor({ delivery: tampered, url })).toBe(false);
        // The clock is restored: the SDK refuses the same delivery 10 s after it was signed.
        expect(await paddleSender.sdkAccepts!({ delivery, url, now: at(now, 10) })).toBe(false);
        expect(globalThis.Date).toBe(REAL_DATE);
      },
    );
  });
});
