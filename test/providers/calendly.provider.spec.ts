import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it, jest } from '@jest/globals';
import {
  IncomingWebhook,
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
  type WebhookHeaders,
} from '../../lib/index.js';
import { calendlyProvider } from '../../lib/providers/calendly.provider.js';
import { flipByte, reasonOf } from '../core/rejections.js';
import { calendlyDocumentedCheck, calendlySender } from '../senders/calendly.sender.js';

// Calendly publishes no SDK and no worked example with a key: what it publishes is the
// verification code of its "Webhook Signatures" guide (developer.calendly.com), run here as
// written (`calendlyDocumentedCheck`), with its 3-minute, past-only tolerance.
const KEY = 'u8Fq2LmZ0xVb7Nc4Rt1Ys9Hd3Kg6Pw5JeA2iO8lT';
const OLD_KEY = 'Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3';
const SENT = new Date('2024-06-12T14:03:28Z');
const T = SENT.getTime() / 1000;
/** An `invitee.canceled` event as Calendly posts it (compact JSON). */
const EVENT =
  '{"created_at":"2024-06-12T14:03:27.000000Z","created_by":"https://api.calendly.com/users/EBHAAFHDCAEQTSEZ",' +
  '"event":"invitee.canceled","payload":{"cancellation":{"canceled_by":"Zoë Krüger","reason":"Zeitkonflikt",' +
  '"canceler_type":"invitee"},"email":"zoe.kruger@example.com","name":"Zoë Krüger","status":"canceled",' +
  '"uri":"https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/7c1b6f0e-3f8a-4b1e-9d2c-5a4e8f1b2c3d"}}';
const BODY = Buffer.from(EVENT, 'utf8');

/** The guide's scheme by hand: hex HMAC-SHA256 of `<t>.<body>` keyed with the signing key. */
function v1(body: string | Buffer, t: number | string = T, key = KEY): string {
  return createHmac('sha256', key).update(`${t}.`).update(body).digest('hex');
}

/** The id of a delivery: Calendly sends none, so the first 32 hex characters of the body's SHA-256. */
function bodyDigest(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}

function verify(
  headers: WebhookHeaders,
  rawBody: Buffer | string = BODY,
  options: { secret?: string | string[]; now?: Date; toleranceSeconds?: number } = {},
) {
  const { secret = KEY, now = SENT, toleranceSeconds } = options;
  return verifyWebhook({
    provider: calendlyProvider,
    secret,
    headers,
    rawBody: Buffer.from(rawBody),
    now,
    toleranceSeconds,
  });
}

const at = (seconds: number) => new Date(SENT.getTime() + seconds * 1000);

describe('calendly provider', () => {
  describe("against the check of Calendly's guide (Calendly has no SDK)", () => {
    it('verifies a delivery signed as the guide describes: body digest id, body event, t as the timestamp', () => {
      const signature = v1(BODY);
      const headers = { 'calendly-webhook-signature': `t=${T},v1=${signature}` };
      expect(calendlyDocumentedCheck(BODY, headers['calendly-webhook-signature'], KEY, SENT)).toBe(true);
      expect(verify(headers)).toEqual({ deliveryId: bodyDigest(BODY), event: 'invitee.canceled', timestamp: SENT });
      expect(verify(headers).deliveryId).not.toContain(signature.slice(0, 8));
    });

    it('writes what the guide accepts; one changed byte of the body, the t or the key makes both refuse', () => {
      const signed = signWebhook({ provider: calendlyProvider, secret: KEY, payload: BODY, timestamp: SENT });
      const header = signed.headers['calendly-webhook-signature']!;
      expect(signed.headers).toEqual({
        'content-type': 'application/json',
        'calendly-webhook-signature': `t=${T},v1=${v1(BODY)}`,
      });
      expect(calendlyDocumentedCheck(signed.body, header, KEY, SENT)).toBe(true);
      // Bytes the guide's JSON.parse still reads: a changed letter inside a string value.
      for (const index of [BODY.indexOf('Zeitkonflikt'), BODY.indexOf('invitee.canceled') + 3, BODY.indexOf('EBHAA')]) {
        const tampered = flipByte(signed.body, index, 0x20);
        expect(calendlyDocumentedCheck(tampered, header, KEY, SENT)).toBe(false);
        expect(reasonOf(() => verify(signed.headers, tampered))).toBe('invalid_signature');
      }
      for (let index = 0; index < BODY.length; index += 9) {
        expect(reasonOf(() => verify(signed.headers, flipByte(BODY, index, 0x01)))).toBe('invalid_signature');
      }
      const otherT = header.replace(`t=${T}`, `t=${T + 1}`);
      expect(calendlyDocumentedCheck(signed.body, otherT, KEY, SENT)).toBe(false);
      expect(reasonOf(() => verify({ 'calendly-webhook-signature': otherT }))).toBe('invalid_signature');
      expect(calendlyDocumentedCheck(signed.body, header, OLD_KEY, SENT)).toBe(false);
      expect(reasonOf(() => verify(signed.headers, BODY, { secret: OLD_KEY }))).toBe('invalid_signature');
    });

    it('agrees with the guide on the window: 180 s old is accepted, 181 s is not, a future t is', () => {
      const header = `t=${T},v1=${v1(BODY)}`;
      expect(calendlyDocumentedCheck(BODY, header, KEY, at(180))).toBe(true);
      expect(verify({ 'calendly-webhook-signature': header }, BODY, { now: at(180) }).timestamp).toEqual(SENT);
      expect(calendlyDocumentedCheck(BODY, header, KEY, at(181))).toBe(false);
      expect(reasonOf(() => verify({ 'calendly-webhook-signature': header }, BODY, { now: at(181) }))).toBe(
        'timestamp_out_of_window',
      );
      expect(calendlyDocumentedCheck(BODY, header, KEY, at(-3600))).toBe(true);
      expect(verify({ 'calendly-webhook-signature': header }, BODY, { now: at(-3600) }).timestamp).toEqual(SENT);
    });

    it('hashes the bytes received, where the guide hashes JSON.stringify of the parsed body', () => {
      const pretty = `${JSON.stringify(JSON.parse(EVENT), null, 2)}\n`;
      const header = `t=${T},v1=${v1(pretty)}`;
      expect(verify({ 'calendly-webhook-signature': header }, pretty).event).toBe('invitee.canceled');
      expect(calendlyDocumentedCheck(Buffer.from(pretty), header, KEY, SENT)).toBe(false);
    });
  });

  describe('signatures, rotation and the window', () => {
    it('accepts any v1 that matches', () => {
      const header = `t=${T},v1=${v1(BODY, T, OLD_KEY)},v1=${v1(BODY)}`;
      expect(verify({ 'calendly-webhook-signature': header }).deliveryId).toBe(bodyDigest(BODY));
    });

    it('verifies with [new, old] keys a delivery signed with either, and signs with the first', () => {
      for (const key of [KEY, OLD_KEY]) {
        const headers = { 'calendly-webhook-signature': `t=${T},v1=${v1(BODY, T, key)}` };
        expect(verify(headers, BODY, { secret: [KEY, OLD_KEY] }).deliveryId).toBe(bodyDigest(BODY));
      }
      const signed = signWebhook({
        provider: calendlyProvider,
        secret: [KEY, OLD_KEY],
        payload: BODY,
        timestamp: SENT,
      });
      expect(signed.headers['calendly-webhook-signature']).toBe(`t=${T},v1=${v1(BODY)}`);
    });

    it('has a 180 s window by default that a source can change or turn off', () => {
      const headers = { 'calendly-webhook-signature': `t=${T},v1=${v1(BODY)}` };
      expect(reasonOf(() => verify(headers, BODY, { now: at(300) }))).toBe('timestamp_out_of_window');
      expect(verify(headers, BODY, { now: at(300), toleranceSeconds: 300 }).timestamp).toEqual(SENT);
      expect(reasonOf(() => verify(headers, BODY, { now: at(61), toleranceSeconds: 60 }))).toBe(
        'timestamp_out_of_window',
      );
      expect(verify(headers, BODY, { now: at(86_400), toleranceSeconds: 0 }).timestamp).toEqual(SENT);
    });

    it('gives a retry signed again at another second the same id, another body another id', () => {
      const first = verify({ 'calendly-webhook-signature': `t=${T},v1=${v1(BODY)}` });
      // Both inside the 180 s window: the retry's `t` and signature differ, its body does not.
      const again = verify({ 'calendly-webhook-signature': `t=${T + 150},v1=${v1(BODY, T + 150)}` }, BODY, {
        now: at(160),
      });
      expect(again.timestamp).toEqual(at(150));
      expect(again.deliveryId).toBe(first.deliveryId);
      const other = Buffer.from(EVENT.replace('Zeitkonflikt', 'Zeitkonflikt!'), 'utf8');
      const another = verify({ 'calendly-webhook-signature': `t=${T},v1=${v1(other)}` }, other);
      expect(another.deliveryId).not.toBe(first.deliveryId);
      expect(another.deliveryId).toBe(bodyDigest(other));
    });

    it('works the id out only when it is read, once', () => {
      const result = verify({ 'calendly-webhook-signature': `t=${T},v1=${v1(BODY)}` });
      expect(typeof Object.getOwnPropertyDescriptor(result, 'deliveryId')?.get).toBe('function');
      expect(result.deliveryId).toBe(bodyDigest(BODY));
      expect(result.deliveryId).toBe(result.deliveryId);
    });
  });

  describe('malformed and hostile headers', () => {
    const valid = `t=${T},v1=${v1(BODY)}`;

    it.each([
      ['absent', {}, 'missing_signature'],
      ['empty', { 'calendly-webhook-signature': '' }, 'missing_signature'],
      ['sent twice', { 'calendly-webhook-signature': [valid, valid] }, 'malformed_signature'],
      ['sent twice and joined by Node', { 'calendly-webhook-signature': `${valid}, ${valid}` }, 'malformed_signature'],
      ['without t', { 'calendly-webhook-signature': `v1=${v1(BODY)}` }, 'malformed_signature'],
      ['with t but no v1', { 'calendly-webhook-signature': `t=${T}` }, 'malformed_signature'],
      [
        'with a t that is not a number',
        { 'calendly-webhook-signature': `t=1e9,v1=${v1(BODY)}` },
        'malformed_timestamp',
      ],
      [
        'with a v1 that is not hex',
        { 'calendly-webhook-signature': `t=${T},v1=${'x'.repeat(64)}` },
        'malformed_signature',
      ],
      [
        'with a base64 v1',
        { 'calendly-webhook-signature': `t=${T},v1=${Buffer.from(v1(BODY), 'hex').toString('base64')}` },
        'malformed_signature',
      ],
    ] as const)('refuses a header %s', (_name, headers, reason) => {
      expect(reasonOf(() => verify(headers))).toBe(reason);
    });

    it('refuses a list of more than 16 signatures before hashing anything', () => {
      const many = Array.from({ length: 1000 }, () => `v1=${'0'.repeat(64)}`).join(',');
      expect(reasonOf(() => verify({ 'calendly-webhook-signature': `t=${T},${many},v1=${v1(BODY)}` }))).toBe(
        'malformed_signature',
      );
    });
  });

  describe('the body', () => {
    it('does not parse the body to verify it; the event is read from it on first use', () => {
      const delivery = new IncomingWebhook({ 'calendly-webhook-signature': `t=${T},v1=${v1(BODY)}` }, BODY);
      const json = jest.spyOn(delivery, 'json');
      const keys = calendlyProvider.prepareKeys({ secrets: [KEY] });
      const result = calendlyProvider.verify(delivery, keys, { toleranceSeconds: 180, now: SENT });
      expect(result.deliveryId).toBe(bodyDigest(BODY));
      expect(json).not.toHaveBeenCalled();
      expect(result.event).toBe('invitee.canceled');
      expect(json).toHaveBeenCalled();
    });

    it('verifies a signed body that is not JSON or has no string event, with no event', () => {
      for (const body of ['not json', '[]', '{"event":{"type":"x"}}', '']) {
        const result = verify({ 'calendly-webhook-signature': `t=${T},v1=${v1(body)}` }, body);
        expect(result.deliveryId).toBe(bodyDigest(body));
        expect(result.event).toBeUndefined();
      }
    });
  });

  it('needs a signing key', () => {
    const headers = { 'calendly-webhook-signature': `t=${T},v1=${v1(BODY)}` };
    expect(() => verifyWebhook({ provider: calendlyProvider, headers, rawBody: BODY })).toThrow(
      WebhookConfigurationError,
    );
  });

  describe('the sender fixture', () => {
    const url = 'https://hooks.example.com/webhooks/calendly';

    it('is a delivery the provider verifies, the guide accepts and the floor checks; one changed byte fails all three', async () => {
      const now = new Date();
      const delivery = await calendlySender.delivery({ url, now });
      const verifyBody = (rawBody: Buffer) =>
        verifyWebhook({
          provider: calendlyProvider,
          secret: calendlySender.secret,
          headers: delivery.headers,
          rawBody,
          now,
        });
      expect(verifyBody(delivery.body)).toMatchObject(calendlySender.expected);
      expect(await calendlySender.sdkAccepts!({ delivery, url, now })).toBe(true);
      expect(calendlySender.floor({ delivery, url })).toBe(true);
      const tampered = { ...delivery, body: flipByte(delivery.body, delivery.body.indexOf('Onboarding'), 0x20) };
      expect(reasonOf(() => verifyBody(tampered.body))).toBe('invalid_signature');
      expect(await calendlySender.sdkAccepts!({ delivery: tampered, url, now })).toBe(false);
      expect(calendlySender.floor({ delivery: tampered, url })).toBe(false);
    });
  });
});
