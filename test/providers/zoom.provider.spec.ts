import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  IncomingWebhook,
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
  type WebhookHeaders,
} from '../../lib/index.js';
import { zoomProvider } from '../../lib/providers/zoom.provider.js';
import { zoomSender } from '../senders/zoom.sender.js';
import { flipByte, isRejected, reasonOf } from '../core/rejections.js';

const SECRET = 'Zq3xW8vT2mK9pL4nR7sB1c';
const SENT = new Date('2024-05-06T12:53:20Z');
const SENT_SECONDS = String(SENT.getTime() / 1000);
const MEETING_ENDED =
  '{"event":"meeting.ended","event_ts":1715000000123,"payload":{"account_id":"AAAAAABBBB","object":{"id":"85734912345","uuid":"Mbd3Ab9qSqmcMLCq9Ar1Kg==","host_id":"x1yCzABCDEfg23HiJKl4mN","topic":"Weekly sync","type":2,"duration":30}}}';
/** The request body of Zoom's "Validate your webhook endpoint" example. */
const PLAIN_TOKEN = 'qgg8vlvZRS6UYooatFL8Aw';
const URL_VALIDATION = `{"payload":{"plainToken":"${PLAIN_TOKEN}"},"event_ts":1654503849680,"event":"endpoint.url_validation"}`;

/** Zoom's recipe by hand: `v0=` + hex HMAC-SHA256 of `v0:<ts>:<body>`. */
function v0(timestamp: string, body: string | Buffer, secret = SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`;
}

function headersFor(body: string | Buffer, timestamp = SENT_SECONDS, secret = SECRET): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-zm-request-timestamp': timestamp,
    'x-zm-signature': v0(timestamp, body, secret),
  };
}

function verify(
  headers: WebhookHeaders,
  body: string | Buffer,
  options: { secret?: string | string[]; now?: Date; toleranceSeconds?: number } = {},
) {
  const { secret = SECRET, now = SENT, toleranceSeconds } = options;
  return verifyWebhook({ provider: zoomProvider, secret, headers, rawBody: Buffer.from(body), now, toleranceSeconds });
}

/** Zoom's documented check (its `webhook-sample`), as written: JSON.stringify of the parsed body, `===`. */
function zoomSampleAccepts(headers: Record<string, string>, body: Buffer | string, secret = SECRET): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString());
  } catch {
    return false;
  }
  const message = `v0:${headers['x-zm-request-timestamp']}:${JSON.stringify(parsed)}`;
  return headers['x-zm-signature'] === `v0=${createHmac('sha256', secret).update(message).digest('hex')}`;
}

function without(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));
}

/** The id of a delivery: Zoom sends none, so the first 32 hex characters of the body's SHA-256. */
const bodyDigest = (body: string) => createHash('sha256').update(body).digest('hex').slice(0, 32);

describe('zoom provider', () => {
  describe("against Zoom's documented check", () => {
    it('accepts what signWebhook signs, and refuses it with one byte, the timestamp or the secret changed', () => {
      const signed = signWebhook({ provider: zoomProvider, secret: SECRET, payload: MEETING_ENDED, timestamp: SENT });
      expect(signed.headers).toEqual(headersFor(MEETING_ENDED));
      expect(zoomSampleAccepts(signed.headers, signed.body)).toBe(true);
      for (let offset = 0; offset < signed.body.length; offset += 5) {
        expect(zoomSampleAccepts(signed.headers, flipByte(signed.body, offset, 0x01))).toBe(false);
      }
      const later = { ...signed.headers, 'x-zm-request-timestamp': String(Number(SENT_SECONDS) + 1) };
      expect(zoomSampleAccepts(later, signed.body)).toBe(false);
      expect(zoomSampleAccepts(signed.headers, signed.body, `${SECRET}x`)).toBe(false);
    });

    it('verifies what the documented recipe signs, and refuses it with one byte, the timestamp or the secret changed', () => {
      const headers = headersFor(MEETING_ENDED);
      expect(verify(headers, MEETING_ENDED).event).toBe('meeting.ended');
      for (let offset = 0; offset < MEETING_ENDED.length; offset += 5) {
        expect(reasonOf(() => verify(headers, flipByte(Buffer.from(MEETING_ENDED), offset, 0x01)))).toBe(
          'invalid_signature',
        );
      }
      const later = { ...headers, 'x-zm-request-timestamp': String(Number(SENT_SECONDS) + 1) };
      expect(reasonOf(() => verify(later, MEETING_ENDED))).toBe('invalid_signature');
      expect(reasonOf(() => verify(headers, MEETING_ENDED, { secret: `${SECRET}x` }))).toBe('invalid_signature');
    });
  });

  describe('delivery id, event and timestamp', () => {
    it('the digest of the body, the body event, the header timestamp', () => {
      const headers = headersFor(MEETING_ENDED);
      expect(verify(headers, MEETING_ENDED)).toEqual({
        deliveryId: bodyDigest(MEETING_ENDED),
        event: 'meeting.ended',
        timestamp: SENT,
        handshake: undefined,
      });
    });

    it('gives a retry signed again at another second the same id, another body another id', () => {
      const first = verify(headersFor(MEETING_ENDED), MEETING_ENDED);
      // Both inside the 300 s window: the retry's timestamp and signature differ, its body does not.
      const later = String(Number(SENT_SECONDS) + 240);
      const again = verify(headersFor(MEETING_ENDED, later), MEETING_ENDED, {
        now: new Date(SENT.getTime() + 250_000),
      });
      expect(again.timestamp).toEqual(new Date(Number(later) * 1000));
      expect(again.deliveryId).toBe(first.deliveryId);
      const other = MEETING_ENDED.replace('"duration":30', '"duration":31');
      expect(verify(headersFor(other), other).deliveryId).toBe(bodyDigest(other));
      expect(bodyDigest(other)).not.toBe(first.deliveryId);
    });

    it('works the id out only when it is read, once', () => {
      const result = verify(headersFor(MEETING_ENDED), MEETING_ENDED);
      expect(typeof Object.getOwnPropertyDescriptor(result, 'deliveryId')?.get).toBe('function');
      expect(result.deliveryId).toBe(bodyDigest(MEETING_ENDED));
      expect(result.deliveryId).toBe(result.deliveryId);
    });

    it.each([
      ['not JSON', 'not json {'],
      ['a JSON array', '[{"event":"meeting.ended"}]'],
      ['an event that is not a string', '{"event":{"name":"meeting.ended"}}'],
      ['an empty body', ''],
    ])('verifies %s cleanly, with no event', (_label, body) => {
      const result = verify(headersFor(body), body);
      expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
      expect(result.event).toBeUndefined();
      expect(result.handshake).toBeUndefined();
    });

    it('does not parse the body to verify it, nor to find that an event is no handshake', () => {
      const delivery = new IncomingWebhook(headersFor(MEETING_ENDED), Buffer.from(MEETING_ENDED));
      let parses = 0;
      const json = delivery.json.bind(delivery);
      delivery.json = () => {
        parses += 1;
        return json();
      };
      const keys = zoomProvider.prepareKeys({ secrets: [SECRET] });
      const verified = zoomProvider.verify(delivery, keys, { toleranceSeconds: 300, now: SENT });
      expect(verified.handshake).toBeUndefined();
      expect(parses).toBe(0);
      expect(verified.event).toBe('meeting.ended');
      expect(parses).toBe(1);
    });
  });

  describe('window', () => {
    const headers = headersFor(MEETING_ENDED);
    const at = (seconds: number) => new Date(SENT.getTime() + seconds * 1000);

    it('is 300 s either way by default, configurable, off with 0', () => {
      expect(verify(headers, MEETING_ENDED, { now: at(300) }).timestamp).toEqual(SENT);
      expect(verify(headers, MEETING_ENDED, { now: at(-300) }).timestamp).toEqual(SENT);
      expect(reasonOf(() => verify(headers, MEETING_ENDED, { now: at(301) }))).toBe('timestamp_out_of_window');
      expect(reasonOf(() => verify(headers, MEETING_ENDED, { now: at(-301) }))).toBe('timestamp_out_of_window');
      expect(reasonOf(() => verify(headers, MEETING_ENDED, { now: at(31), toleranceSeconds: 30 }))).toBe(
        'timestamp_out_of_window',
      );
      expect(verify(headers, MEETING_ENDED, { now: at(86_400 * 365), toleranceSeconds: 0 }).event).toBe(
        'meeting.ended',
      );
    });
  });

  describe('rotation', () => {
    const next = 'Nw5yH2kQ8rT1vX4zB7dF0g';

    it('verifies with either secret of [new, old] and signs with the first', () => {
      expect(verify(headersFor(MEETING_ENDED), MEETING_ENDED, { secret: [next, SECRET] }).event).toBe('meeting.ended');
      const byNew = headersFor(MEETING_ENDED, SENT_SECONDS, next);
      expect(verify(byNew, MEETING_ENDED, { secret: [next, SECRET] }).event).toBe('meeting.ended');
      expect(reasonOf(() => verify(byNew, MEETING_ENDED))).toBe('invalid_signature');
      const signed = signWebhook({
        provider: zoomProvider,
        secret: [next, SECRET],
        payload: MEETING_ENDED,
        timestamp: SENT,
      });
      expect(signed.headers['x-zm-signature']).toBe(byNew['x-zm-signature']);
    });

    it('answers a challenge with the secret that signed it', () => {
      const token = (secret: string) => createHmac('sha256', secret).update(PLAIN_TOKEN).digest('hex');
      for (const signer of [next, SECRET]) {
        const answer = verify(headersFor(URL_VALIDATION, SENT_SECONDS, signer), URL_VALIDATION, {
          secret: [next, SECRET],
        }).handshake;
        expect(JSON.parse(answer!.body!)).toEqual({ plainToken: PLAIN_TOKEN, encryptedToken: token(signer) });
      }
    });
  });

  describe('malformed headers', () => {
    const good = headersFor(MEETING_ENDED);
    const signature = good['x-zm-signature']!;

    it('a missing signature is missing_signature; a missing timestamp missing_timestamp', () => {
      expect(reasonOf(() => verify(without(good, 'x-zm-signature'), MEETING_ENDED))).toBe('missing_signature');
      expect(reasonOf(() => verify(without(good, 'x-zm-request-timestamp'), MEETING_ENDED))).toBe('missing_timestamp');
    });

    it.each([
      ['without v0=', signature.slice(3)],
      ['another version', `v1=${signature.slice(3)}`],
      ['not hex', `v0=${'g'.repeat(64)}`],
      ['of the wrong length', `v0=${signature.slice(3, 60)}`],
      ['sent twice', [signature, signature]],
      ['a list of a thousand', Array.from({ length: 1000 }, () => signature).join(',')],
    ])('a signature %s is malformed_signature', (_label, value) => {
      expect(reasonOf(() => verify({ ...good, 'x-zm-signature': value }, MEETING_ENDED))).toBe('malformed_signature');
    });

    it.each([
      ['in milliseconds', String(SENT.getTime())],
      ['ISO 8601', SENT.toISOString()],
      ['sent twice', [SENT_SECONDS, SENT_SECONDS]],
    ])('a timestamp %s is malformed_timestamp', (_label, value) => {
      expect(reasonOf(() => verify({ ...good, 'x-zm-request-timestamp': value }, MEETING_ENDED))).toBe(
        'malformed_timestamp',
      );
    });

    it('refuses no secret or an empty one at configuration', () => {
      expect(() => signWebhook({ provider: zoomProvider, payload: MEETING_ENDED })).toThrow(WebhookConfigurationError);
      expect(() => signWebhook({ provider: zoomProvider, secret: '', payload: MEETING_ENDED })).toThrow(
        WebhookConfigurationError,
      );
    });
  });

  describe('endpoint.url_validation handshake', () => {
    it("answers Zoom's example challenge with 200 JSON { plainToken, encryptedToken }", () => {
      const result = verify(headersFor(URL_VALIDATION), URL_VALIDATION);
      expect(result.event).toBe('endpoint.url_validation');
      const answer = result.handshake!;
      expect(answer.status).toBe(200);
      expect(answer.contentType).toMatch(/^application\/json/);
      const body = JSON.parse(answer.body!) as { plainToken: string; encryptedToken: string };
      expect(body).toEqual({
        plainToken: PLAIN_TOKEN,
        encryptedToken: createHmac('sha256', SECRET).update(PLAIN_TOKEN).digest('hex'),
      });
      // Zoom's example answer has this shape; it does not say which secret made it, so its value cannot be redone.
      expect('23a89b634c017e5364a1c8d9c8ea909b60dd5599e2bb04bb1558d9c3a121faa5').toMatch(/^[0-9a-f]{64}$/);
      expect(body.encryptedToken).toMatch(/^[0-9a-f]{64}$/);
    });

    it("gives the encryptedToken of Elastic Beats' published Zoom CRC test (secret secretValueTest)", () => {
      const secret = 'secretValueTest';
      const body = `{"event_ts":1654503849680,"event":"endpoint.url_validation","payload":{"plainToken":"${PLAIN_TOKEN}"}}`;
      const answer = verify(headersFor(body, SENT_SECONDS, secret), body, { secret }).handshake!;
      expect(JSON.parse(answer.body!)).toEqual({
        plainToken: PLAIN_TOKEN,
        encryptedToken: '70c1f2e2e6ca2d39297490d1f9142c7d701415ea8e6151f6562a08fa657a40ff',
      });
    });

    it('is never answered without a valid signature', () => {
      const unsigned = without(headersFor(URL_VALIDATION), 'x-zm-signature');
      expect(reasonOf(() => verify(unsigned, URL_VALIDATION))).toBe('missing_signature');
      const forged = URL_VALIDATION.replace(PLAIN_TOKEN, 'attacker-chosen-token!');
      expect(reasonOf(() => verify(headersFor(URL_VALIDATION), forged))).toBe('invalid_signature');
      expect(reasonOf(() => verify(headersFor(URL_VALIDATION), URL_VALIDATION, { secret: 'another' }))).toBe(
        'invalid_signature',
      );
    });

    it('is not a handshake without a string plainToken, or when the event name is only mentioned', () => {
      const noToken = '{"event":"endpoint.url_validation","payload":{}}';
      expect(verify(headersFor(noToken), noToken).handshake).toBeUndefined();
      const mention =
        '{"event":"meeting.ended","payload":{"plainToken":"x","object":{"topic":"endpoint.url_validation"}}}';
      const result = verify(headersFor(mention), mention);
      expect(result.handshake).toBeUndefined();
      expect(result.event).toBe('meeting.ended');
    });
  });

  describe('sender fixture', () => {
    it('delivers what the provider verifies, the documented check and the floor accept, and a changed byte fails all', async () => {
      const now = new Date();
      const url = 'https://hooks.example.com/webhooks/zoom';
      const delivery = await zoomSender.delivery({ url, now });
      const result = verify(delivery.headers, delivery.body, { now });
      expect({ deliveryId: result.deliveryId, event: result.event }).toEqual(zoomSender.expected);
      expect(await zoomSender.sdkAccepts!({ delivery, url, now })).toBe(true);
      expect(zoomSender.floor({ delivery, url })).toBe(true);
      const tampered = { ...delivery, body: flipByte(delivery.body, 30, 0x01) };
      expect(await zoomSender.sdkAccepts!({ delivery: tampered, url, now })).toBe(false);
      expect(zoomSender.floor({ delivery: tampered, url })).toBe(false);
      expect(isRejected(() => verify(tampered.headers, tampered.body, { now }))).toBe(true);
    });

    it('has an endpoint.url_validation handshake the provider answers as expected', async () => {
      const now = new Date();
      const [handshake] = zoomSender.handshakes!;
      const delivery = await handshake!.delivery({ url: 'https://hooks.example.com/webhooks/zoom', now });
      const answer = verify(delivery.headers, delivery.body, { now }).handshake!;
      expect(answer.status).toBe(handshake!.expected.status);
      expect(answer.contentType?.split(';')[0]).toBe(handshake!.expected.contentType);
      expect(answer.body).toBe(handshake!.expected.body);
    });
  });
});
