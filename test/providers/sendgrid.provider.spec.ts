import { createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { signWebhook, verifyWebhook, WebhookConfigurationError, WebhookVerifier } from '../../lib/index.js';
import type { WebhookHeaders } from '../../lib/index.js';
import { sendGridProvider } from '../../lib/providers/sendgrid.provider.js';
import { flipByte, reasonOf, rejectionOf } from '../core/rejections.js';
import {
  SENDGRID_PRIVATE_KEY,
  SENDGRID_VERIFICATION_KEY,
  sendGridDelivery,
  sendGridDeliveryId,
  sendGridSdkAccepts,
  sendGridSender,
} from '../senders/sendgrid.sender.js';

const SIGNATURE = 'x-twilio-email-event-webhook-signature';
const TIMESTAMP = 'x-twilio-email-event-webhook-timestamp';
const URL = 'https://mail.example.com/sendgrid/events';
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/**
 * The two signed examples in `@sendgrid/eventwebhook`'s own tests (src/eventwebhook.spec.js),
 * built exactly as that file builds them.
 */
const SINGLE = {
  key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==',
  signature: 'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=',
  timestamp: '1600112502',
  body:
    JSON.stringify([
      {
        email: 'hello@world.com',
        event: 'dropped',
        reason: 'Bounced Address',
        sg_event_id: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
        sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
        'smtp-id': '<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>',
        timestamp: 1600112492,
      },
    ]) + '\r\n',
};
const MULTIPLE_EVENTS = [
  {
    email: 'invalid@gmail.com',
    event: 'processed',
    send_at: 0,
    sg_event_id: 'cHJvY2Vzc2VkLTE5OTQyMTEyLXFOd0JMZ1BRUWpXNkRKdktRd1NBYnctMA',
    sg_message_id: 'qNwBLgPQQjW6DJvKQwSAbw.filterdrecv-canary-547b64655b-cw6zx-1-6089EA4A-56.0',
    'smtp-id': '<qNwBLgPQQjW6DJvKQwSAbw@ismtpd0178p1mdw1.sendgrid.net>',
    timestamp: 1619651146,
  },
  {
    email: 'invalid@gmail.com',
    event: 'bounce',
    ip: '167.89.101.76',
    reason:
      '552 5.2.2 The email account that you tried to reach is over quota and inactive. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaPerm c17si1130468pgv.34 - gsmtp',
    sg_event_id: 'Ym91bmNlLTAtMTk5NDIxMTItcU53QkxnUFFRalc2REp2S1F3U0Fidy0w',
    sg_message_id: 'qNwBLgPQQjW6DJvKQwSAbw.filterdrecv-canary-547b64655b-cw6zx-1-6089EA4A-56.0',
    'smtp-id': '<qNwBLgPQQjW6DJvKQwSAbw@ismtpd0178p1mdw1.sendgrid.net>',
    status: '5.2.2',
    timestamp: 1619651147,
    tls: 1,
    type: 'blocked',
  },
];
const MULTIPLE = {
  key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQ4LIFtWztlsF7skFqOncjD1lun4H5w8XOhyOArHW9RcIx/FfEzx6cikC/yPfUvwaX/JScE7Fc9CJD2afQ9Ok3Q==',
  signature: 'MEYCIQC/I4o6vCgqRYrTljjoVWB/GRWNtxeePlLMHr3x9ETeRQIhAIpV+03nREPTTHWSW0wIOA0EoMPdcNgXa70yCaqDJlu5',
  timestamp: '1619651159',
  body: JSON.stringify(MULTIPLE_EVENTS).split('},{').join('},\r\n{') + '\r\n',
};
/** The SDK test's "invalid key" and "bad signature". */
const OTHER_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==';
const BAD_SIGNATURE =
  'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0=';

const at = (seconds: string | number) => new Date(Number(seconds) * 1000);

/** A small batch, as SendGrid posts it: each event with its own `sg_event_id`. */
const EVENTS_OF_ONE_MESSAGE = [
  { email: 'b@example.com', timestamp: 1718617792, event: 'delivered', sg_event_id: 'ZGVsaXZlcmVkLTA' },
];

function verify(
  headers: WebhookHeaders,
  body: string | Buffer,
  options: { secret?: string | string[]; now?: Date; toleranceSeconds?: number } = {},
) {
  return verifyWebhook({
    provider: sendGridProvider,
    secret: options.secret ?? SENDGRID_VERIFICATION_KEY,
    headers,
    rawBody: Buffer.from(body),
    now: options.now,
    toleranceSeconds: options.toleranceSeconds,
  });
}

const headersOf = (signature: string, timestamp: string) => ({ [SIGNATURE]: signature, [TIMESTAMP]: timestamp });

/** A DER INTEGER for a positive number: minimal big-endian, a zero byte first when the high bit is set. */
function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.alloc(1), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/** The same signature with `s` replaced by `n - s`: still valid, different bytes. */
function twin(signature: string): string {
  const der = Buffer.from(signature, 'base64');
  const rLength = der[3]!;
  const r = BigInt(`0x${der.subarray(4, 4 + rLength).toString('hex')}`);
  const s = BigInt(`0x${der.subarray(6 + rLength).toString('hex')}`);
  const body = Buffer.concat([derInteger(r), derInteger(P256_ORDER - s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]).toString('base64');
}

/** A fresh key pair: the verification key as SendGrid shows it, the private key object. */
function account(): { key: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { key: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'), privateKey };
}

describe('sendgrid provider', () => {
  describe("the test vectors of @sendgrid/eventwebhook's own tests", () => {
    it.each([
      ['single event', SINGLE],
      ['multiple events', MULTIPLE],
    ])('verifies the %s example: the body digest as id, no event, the timestamp in seconds', (_label, vector) => {
      const result = verify(headersOf(vector.signature, vector.timestamp), vector.body, {
        secret: vector.key,
        now: at(vector.timestamp),
      });
      expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
      expect(result.deliveryId).toBe(sendGridDeliveryId({ headers: {}, body: Buffer.from(vector.body) }));
      expect(result).toEqual({ deliveryId: result.deliveryId, event: undefined, timestamp: at(vector.timestamp) });
    });

    it.each([
      ['single event', SINGLE],
      ['multiple events', MULTIPLE],
    ])('refuses the %s example after any one-byte change of the body or timestamp', (_label, vector) => {
      const options = { secret: vector.key, now: at(vector.timestamp) };
      const headers = headersOf(vector.signature, vector.timestamp);
      const body = Buffer.from(vector.body);
      for (let index = 0; index < body.length; index += 11) {
        expect(reasonOf(() => verify(headers, flipByte(body, index, 0x01), options))).toBe('invalid_signature');
      }
      expect(reasonOf(() => verify(headers, body.subarray(0, -2), options))).toBe('invalid_signature');
      const later = String(Number(vector.timestamp) + 1);
      expect(reasonOf(() => verify(headersOf(vector.signature, later), body, options))).toBe('invalid_signature');
    });

    it("refuses the SDK test's other key and bad signature", () => {
      const options = { now: at(SINGLE.timestamp) };
      expect(
        reasonOf(() =>
          verify(headersOf(SINGLE.signature, SINGLE.timestamp), SINGLE.body, { ...options, secret: OTHER_KEY }),
        ),
      ).toBe('invalid_signature');
      expect(
        reasonOf(() =>
          verify(headersOf(BAD_SIGNATURE, SINGLE.timestamp), SINGLE.body, { ...options, secret: SINGLE.key }),
        ),
      ).toBe('invalid_signature');
    });

    it('writes a batch exactly as the SDK test lays the multiple-events body out', () => {
      expect(sendGridProvider.encodePayload!(MULTIPLE_EVENTS).toString('utf8')).toBe(MULTIPLE.body);
      const signed = signWebhook({
        provider: sendGridProvider,
        secret: SENDGRID_VERIFICATION_KEY,
        privateKey: SENDGRID_PRIVATE_KEY,
        payload: MULTIPLE_EVENTS,
      });
      expect(signed.body.toString('utf8')).toBe(MULTIPLE.body);
    });
  });

  describe('against EventWebhook.verifySignature', () => {
    it('has the SDK accept what signWebhook writes, and refuse any one-byte change of body or timestamp', () => {
      const now = new Date();
      const delivery = sendGridDelivery([{ email: 'a@example.com', event: 'open', timestamp: 1 }], now);
      expect(sendGridSdkAccepts(delivery)).toBe(true);
      expect(verify(delivery.headers, delivery.body, { now }).timestamp).toEqual(at(Math.floor(now.getTime() / 1000)));
      for (let index = 0; index < delivery.body.length; index += 5) {
        const tampered = { ...delivery, body: flipByte(delivery.body, index, 0x01) };
        expect(sendGridSdkAccepts(tampered)).toBe(false);
        expect(reasonOf(() => verify(tampered.headers, tampered.body, { now }))).toBe('invalid_signature');
      }
      const later = {
        ...delivery,
        headers: { ...delivery.headers, [TIMESTAMP]: String(Math.floor(now.getTime() / 1000) + 1) },
      };
      expect(sendGridSdkAccepts(later)).toBe(false);
      expect(reasonOf(() => verify(later.headers, later.body, { now }))).toBe('invalid_signature');
    });

    it('verifies the fixture delivery with the facts it declares; the SDK and the floor agree', async () => {
      const now = new Date();
      const delivery = await sendGridSender.delivery({ url: URL, now });
      const result = verify(delivery.headers, delivery.body, { now });
      expect(result).toEqual({
        deliveryId: sendGridSender.expected.deliveryId,
        event: sendGridSender.expected.event,
        timestamp: sendGridSender.expected.timestamp,
      });
      expect(await sendGridSender.sdkAccepts!({ delivery, url: URL, now })).toBe(true);
      expect(sendGridSender.floor({ delivery, url: URL })).toBe(true);
      expect(
        sendGridSender.floor({ delivery: { ...delivery, body: flipByte(delivery.body, 9, 0x02) }, url: URL }),
      ).toBe(false);
    });

    it("gives a signature's n - s twin, which the SDK and node:crypto both accept, the same delivery id", () => {
      const now = new Date();
      const delivery = sendGridDelivery([{ event: 'delivered', email: 'b@example.com' }], now);
      const twinned = {
        ...delivery,
        headers: { ...delivery.headers, [SIGNATURE]: twin(delivery.headers[SIGNATURE]!) },
      };
      expect(twinned.headers[SIGNATURE]).not.toBe(delivery.headers[SIGNATURE]);
      expect(sendGridSdkAccepts(twinned)).toBe(true);
      const original = verify(delivery.headers, delivery.body, { now });
      const replayed = verify(twinned.headers, twinned.body, { now });
      expect(replayed.deliveryId).toBe(original.deliveryId);
      // The SDK test vector's twin too.
      const vectorTwin = verify(headersOf(twin(SINGLE.signature), SINGLE.timestamp), SINGLE.body, {
        secret: SINGLE.key,
        now: at(SINGLE.timestamp),
      });
      const vector = verify(headersOf(SINGLE.signature, SINGLE.timestamp), SINGLE.body, {
        secret: SINGLE.key,
        now: at(SINGLE.timestamp),
      });
      expect(vectorTwin.deliveryId).toBe(vector.deliveryId);
    });

    it('gives a retry signed again at another second the same id, another batch another id', () => {
      const sent = new Date('2024-06-17T09:30:00Z');
      const first = sendGridDelivery(EVENTS_OF_ONE_MESSAGE, sent);
      // Both inside the 300 s window: the retry's timestamp and (randomised) signature differ, its body does not.
      const retrySent = new Date(sent.getTime() + 200_000);
      const retry = sendGridDelivery(EVENTS_OF_ONE_MESSAGE, retrySent);
      expect(retry.headers[SIGNATURE]).not.toBe(first.headers[SIGNATURE]);
      expect(retry.body).toEqual(first.body);
      const now = new Date(sent.getTime() + 210_000);
      const firstId = verify(first.headers, first.body, { now }).deliveryId;
      expect(verify(retry.headers, retry.body, { now }).deliveryId).toBe(firstId);
      expect(firstId).toBe(sendGridDeliveryId(first));
      const other = sendGridDelivery([{ ...EVENTS_OF_ONE_MESSAGE[0], sg_event_id: 'b3RoZXI' }], sent);
      expect(verify(other.headers, other.body, { now }).deliveryId).not.toBe(firstId);
    });

    it('works the id out only when it is read, once', () => {
      const now = new Date();
      const delivery = sendGridDelivery(EVENTS_OF_ONE_MESSAGE, now);
      const result = verify(delivery.headers, delivery.body, { now });
      expect(typeof Object.getOwnPropertyDescriptor(result, 'deliveryId')?.get).toBe('function');
      expect(result.deliveryId).toBe(sendGridDeliveryId(delivery));
      expect(result.deliveryId).toBe(result.deliveryId);
    });

    it('signs exactly as the scheme says: base64 DER ECDSA P-256 over timestamp then body', () => {
      const signed = signWebhook({
        provider: sendGridProvider,
        secret: SENDGRID_VERIFICATION_KEY,
        privateKey: SENDGRID_PRIVATE_KEY,
        timestamp: new Date(Number(SINGLE.timestamp) * 1000 + 999),
        payload: SINGLE.body,
      });
      expect(Object.keys(signed.headers).sort()).toEqual(['content-type', SIGNATURE, TIMESTAMP]);
      expect(signed.headers['content-type']).toBe('application/json');
      expect(signed.headers[TIMESTAMP]).toBe(SINGLE.timestamp);
      expect(signed.body.toString()).toBe(SINGLE.body);
      expect(sendGridSdkAccepts(signed)).toBe(true);
    });
  });

  describe('window', () => {
    const headers = headersOf(SINGLE.signature, SINGLE.timestamp);
    const options = (offset: number, toleranceSeconds?: number) => ({
      secret: SINGLE.key,
      now: at(Number(SINGLE.timestamp) + offset),
      toleranceSeconds,
    });

    it('accepts 300 s either way and refuses 301 s either way (the SDK has no window)', () => {
      expect(verify(headers, SINGLE.body, options(300)).timestamp).toEqual(at(SINGLE.timestamp));
      expect(verify(headers, SINGLE.body, options(-300)).timestamp).toEqual(at(SINGLE.timestamp));
      expect(reasonOf(() => verify(headers, SINGLE.body, options(301)))).toBe('timestamp_out_of_window');
      expect(reasonOf(() => verify(headers, SINGLE.body, options(-301)))).toBe('timestamp_out_of_window');
      // The SDK accepts this 2020 delivery today.
      expect(sendGridSdkAccepts({ headers, body: Buffer.from(SINGLE.body) }, SINGLE.key)).toBe(true);
    });

    it('is configurable and off with 0', () => {
      expect(reasonOf(() => verify(headers, SINGLE.body, options(31, 30)))).toBe('timestamp_out_of_window');
      expect(verify(headers, SINGLE.body, { secret: SINGLE.key, toleranceSeconds: 0 }).timestamp).toEqual(
        at(SINGLE.timestamp),
      );
    });
  });

  describe('rotation', () => {
    it('verifies a delivery signed with either key when both verification keys are configured', () => {
      const next = account();
      const now = new Date();
      const fromNext = signWebhook({
        provider: sendGridProvider,
        secret: next.key,
        privateKey: next.privateKey,
        timestamp: now,
        payload: [{ event: 'open' }],
      });
      const fromCurrent = sendGridDelivery([{ event: 'open' }], now);
      for (const delivery of [fromNext, fromCurrent]) {
        expect(
          verify(delivery.headers, delivery.body, { secret: [next.key, SENDGRID_VERIFICATION_KEY], now }).deliveryId,
        ).toMatch(/^[0-9a-f]{32}$/);
      }
      expect(reasonOf(() => verify(fromCurrent.headers, fromCurrent.body, { secret: next.key, now }))).toBe(
        'invalid_signature',
      );
    });
  });

  describe('malformed headers and bodies', () => {
    const headers = headersOf(SINGLE.signature, SINGLE.timestamp);
    const options = { secret: SINGLE.key, now: at(SINGLE.timestamp) };

    it('a missing signature is missing_signature; a repeated one malformed_signature', () => {
      expect(reasonOf(() => verify({ [TIMESTAMP]: SINGLE.timestamp }, SINGLE.body, options))).toBe('missing_signature');
      expect(
        reasonOf(() => verify({ ...headers, [SIGNATURE]: [SINGLE.signature, SINGLE.signature] }, SINGLE.body, options)),
      ).toBe('malformed_signature');
    });

    it.each([
      ['not base64', 'not base64!'],
      ['base64url', Buffer.from(SINGLE.signature, 'base64').toString('base64url')],
      ['unpadded', SINGLE.signature.replace(/=+$/, '')],
      ['not DER', Buffer.alloc(70, 1).toString('base64')],
      [
        'DER with a byte after it',
        Buffer.concat([Buffer.from(SINGLE.signature, 'base64'), Buffer.alloc(1)]).toString('base64'),
      ],
      ['a raw r || s', Buffer.alloc(64, 9).toString('base64')],
      ['two joined by a comma', `${SINGLE.signature}, ${SINGLE.signature}`],
      ['huge', 'A'.repeat(100_000)],
    ])('a signature %s is malformed_signature', (_label, signature) => {
      const error = rejectionOf(() => verify({ ...headers, [SIGNATURE]: signature }, SINGLE.body, options));
      expect(error.reason).toBe('malformed_signature');
      expect(error.message).toContain(SIGNATURE);
    });

    it('a missing timestamp is missing_timestamp; a repeated or malformed one malformed_timestamp', () => {
      expect(reasonOf(() => verify({ [SIGNATURE]: SINGLE.signature }, SINGLE.body, options))).toBe('missing_timestamp');
      for (const timestamp of [
        [SINGLE.timestamp, SINGLE.timestamp],
        'timestamp',
        '-1',
        `${SINGLE.timestamp}.0`,
        '1600112502000',
      ]) {
        expect(
          reasonOf(() =>
            verify({ ...headers, [TIMESTAMP]: timestamp }, SINGLE.body, { ...options, toleranceSeconds: 0 }),
          ),
        ).toBe('malformed_timestamp');
      }
    });

    it('verifies a signed body that is not JSON without reading it', () => {
      const now = new Date();
      for (const body of ['not json [', '', '\u0000']) {
        const delivery = sendGridDelivery(body, now);
        expect(verify(delivery.headers, delivery.body, { now }).event).toBeUndefined();
      }
    });

    it('accepts header names in any case', () => {
      const mixed = {
        'X-Twilio-Email-Event-Webhook-Signature': SINGLE.signature,
        'X-Twilio-Email-Event-Webhook-Timestamp': SINGLE.timestamp,
      };
      expect(verify(mixed, SINGLE.body, options).timestamp).toEqual(at(SINGLE.timestamp));
    });
  });

  describe('keys and configuration', () => {
    it('declares the signature header sensitive, the timestamp a sender header, a summary', () => {
      expect(sendGridProvider.sensitiveHeaders).toEqual([SIGNATURE]);
      expect(sendGridProvider.senderHeaders).toEqual([TIMESTAMP]);
      expect(sendGridProvider.contentType).toBe('application/json');
      expect(sendGridProvider.summary?.checkedAgainst).toContain('verifySignature');
    });

    it('takes the key as a PEM too, as the SDK does', () => {
      const pem = createPublicKey({ key: Buffer.from(SINGLE.key, 'base64'), format: 'der', type: 'spki' })
        .export({ format: 'pem', type: 'spki' })
        .toString();
      const result = verify(headersOf(SINGLE.signature, SINGLE.timestamp), SINGLE.body, {
        secret: pem,
        now: at(SINGLE.timestamp),
      });
      expect(result.timestamp).toEqual(at(SINGLE.timestamp));
    });

    it.each([
      ['no key', undefined],
      ['an empty list', []],
      ['text that is not base64', 'not a key'],
      ['base64 that is not a key', Buffer.alloc(91, 1).toString('base64')],
      [
        'a P-384 key',
        generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
          .publicKey.export({ format: 'der', type: 'spki' })
          .toString('base64'),
      ],
      [
        'a secp256k1 key',
        generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
          .publicKey.export({ format: 'der', type: 'spki' })
          .toString('base64'),
      ],
      [
        'an ed25519 key',
        generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      ],
      ['the private key', SENDGRID_PRIVATE_KEY],
    ])('refuses %s', (_label, secret) => {
      expect(() => new WebhookVerifier({ provider: sendGridProvider, secret })).toThrow(WebhookConfigurationError);
    });

    it('signs only with a P-256 private key, as a KeyObject or PKCS#8 PEM', () => {
      const signWith = (privateKey?: Parameters<typeof signWebhook>[0]['privateKey']) =>
        signWebhook({ provider: sendGridProvider, secret: SENDGRID_VERIFICATION_KEY, privateKey, payload: [{}] });
      expect(() => signWith()).toThrow(WebhookConfigurationError);
      expect(() => signWith('-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n')).toThrow(
        WebhookConfigurationError,
      );
      expect(() => signWith(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey)).toThrow(
        WebhookConfigurationError,
      );
      expect(() => signWith(generateKeyPairSync('ed25519').privateKey)).toThrow(WebhookConfigurationError);
      expect(() => signWith(createPublicKey(SENDGRID_PRIVATE_KEY))).toThrow(WebhookConfigurationError);
      const { key, privateKey } = account();
      const signed = signWebhook({ provider: sendGridProvider, secret: key, privateKey, payload: [{ event: 'open' }] });
      expect(sendGridSdkAccepts(signed, key)).toBe(true);
      // node:crypto's own signature over the same bytes verifies too.
      const timestamp = signed.headers[TIMESTAMP]!;
      const manual = sign('sha256', Buffer.concat([Buffer.from(timestamp), signed.body]), {
        key: privateKey,
        dsaEncoding: 'der',
      });
      expect(
        verifyWebhook({
          provider: sendGridProvider,
          secret: key,
          headers: headersOf(manual.toString('base64'), timestamp),
          rawBody: signed.body,
        }).event,
      ).toBeUndefined();
    });
  });
});
