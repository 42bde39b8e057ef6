import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  hmacProvider,
  signWebhook,
  verifyWebhook,
  type SignedWebhook,
  type VerifiedWebhook,
  type WebhookProviderRef,
} from '../../lib/index.js';
import { flipByte, isRejected, otherHexDigit, replaceCharAt } from './rejections.js';

const NUM_RUNS = 100;
const params = { numRuns: NUM_RUNS };

const github = hmacProvider({
  name: 'github',
  signatureHeader: 'X-Hub-Signature-256',
  algorithm: 'sha256',
  encoding: 'hex',
  prefix: 'sha256=',
  idHeader: 'x-github-delivery',
  eventHeader: 'x-github-event',
});
const sha512Base64 = hmacProvider({
  name: 'sha512-base64',
  signatureHeader: 'x-signature',
  algorithm: 'sha512',
  encoding: 'base64',
  timestampHeader: 'x-timestamp',
});

/** Shared secrets: any non-empty text, Unicode included. */
const sharedSecret = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' });
/** whsec_ secrets: base64 of 1 to 64 random key bytes. */
const whsecSecret = fc
  .uint8Array({ minLength: 1, maxLength: 64 })
  .map((key) => `whsec_${Buffer.from(key).toString('base64')}`);
const body = fc.uint8Array({ minLength: 1, maxLength: 512 });
/** Send times between 2001 and 2100, whole milliseconds. */
const sentAt = fc.integer({ min: 1_000_000_000_000, max: 4_102_444_800_000 }).map((ms) => new Date(ms));
/** A position inside a text or byte string, taken modulo its length. */
const position = fc.nat();
const byteMask = fc.integer({ min: 1, max: 255 });
/** Printable ASCII, for replacing a character of a header value. */
const printable = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
const safeId = fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/);

interface Sender {
  readonly label: string;
  readonly provider: WebhookProviderRef;
  readonly secret: fc.Arbitrary<string>;
  /** The header with the signature, and how it is written. */
  readonly signatureHeader: string;
  readonly encoding: 'hex' | 'base64';
  /** The text before the signature itself (GitHub's `sha256=`, Standard Webhooks' `v1,`). */
  readonly prefix: string;
  /** Signed headers besides the signature whose change must be refused. */
  readonly signedHeaders: readonly string[];
  /** Where the delivery id comes from: the id the signer wrote, or a digest of the signature. */
  readonly deliveryId: 'sent' | 'digest';
  /** How the returned timestamp relates to the send time. */
  readonly timestamp: 'ms' | 'seconds' | 'none';
  readonly token?: string;
}

const SENDERS: readonly Sender[] = [
  {
    label: 'usersnap',
    provider: 'usersnap',
    secret: sharedSecret,
    signatureHeader: 'x-usersnap-signature',
    encoding: 'hex',
    prefix: '',
    signedHeaders: ['x-usersnap-timestamp'],
    deliveryId: 'digest',
    timestamp: 'ms',
  },
  {
    label: 'guuru',
    provider: 'guuru',
    secret: sharedSecret,
    signatureHeader: 'x-guuru-hmac-sha256',
    encoding: 'hex',
    prefix: '',
    signedHeaders: [],
    deliveryId: 'digest',
    timestamp: 'none',
  },
  {
    label: 'survicate',
    provider: 'survicate',
    secret: sharedSecret,
    signatureHeader: 'hmac',
    encoding: 'hex',
    prefix: '',
    signedHeaders: ['token'],
    deliveryId: 'digest',
    timestamp: 'none',
    token: 'verification-token',
  },
  {
    label: 'standard-webhooks',
    provider: 'standard-webhooks',
    secret: whsecSecret,
    signatureHeader: 'webhook-signature',
    encoding: 'base64',
    prefix: 'v1,',
    signedHeaders: ['webhook-id', 'webhook-timestamp'],
    deliveryId: 'sent',
    timestamp: 'seconds',
  },
  {
    label: 'hmacProvider (GitHub style)',
    provider: github,
    secret: sharedSecret,
    signatureHeader: 'x-hub-signature-256',
    encoding: 'hex',
    prefix: 'sha256=',
    signedHeaders: [],
    deliveryId: 'sent',
    timestamp: 'none',
  },
  {
    label: 'hmacProvider (sha512, base64)',
    provider: sha512Base64,
    secret: sharedSecret,
    signatureHeader: 'x-signature',
    encoding: 'base64',
    prefix: '',
    signedHeaders: [],
    deliveryId: 'digest',
    timestamp: 'seconds',
  },
];

function sign(sender: Sender, secret: string, payload: Uint8Array, timestamp: Date, id: string): SignedWebhook {
  return signWebhook({ provider: sender.provider, secret, token: sender.token, payload, timestamp, id, event: 'evt' });
}

function verify(sender: Sender, secret: string | string[], signed: SignedWebhook, now: Date): VerifiedWebhook {
  return verifyWebhook({
    provider: sender.provider,
    secret,
    token: sender.token,
    headers: signed.headers,
    rawBody: signed.body,
    now,
  });
}

/** The HMAC key bytes a secret stands for. */
function keyBytes(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/** HMAC pads short keys with zero bytes, so keys differing only by trailing zeros are the same key. */
function equivalentHmacKeys(a: Buffer, b: Buffer): boolean {
  const strip = (key: Buffer) => key.subarray(0, key.findLastIndex((byte) => byte !== 0) + 1);
  return strip(a).equals(strip(b));
}

/** The signature header with one byte of the decoded signature flipped, or one hex digit changed. */
function tamperedSignature(sender: Sender, header: string, at: number, pick: number): string {
  const text = header.slice(sender.prefix.length);
  if (sender.encoding === 'hex') {
    const index = at % text.length;
    return `${sender.prefix}${replaceCharAt(text, index, otherHexDigit(text[index]!, pick))}`;
  }
  const bytes = Buffer.from(text, 'base64');
  return `${sender.prefix}${flipByte(bytes, at % bytes.length, (pick % 255) + 1).toString('base64')}`;
}

describe('properties of every sender', () => {
  describe.each(SENDERS.map((sender) => [sender.label, sender] as const))('%s', (_label, sender) => {
    it('verifies what it signs, for any body and secret', () => {
      fc.assert(
        fc.property(body, sender.secret, sentAt, safeId, (payload, secret, timestamp, id) => {
          const signed = sign(sender, secret, payload, timestamp, id);
          const result = verify(sender, secret, signed, timestamp);
          if (sender.deliveryId === 'sent') {
            expect(result.deliveryId).toBe(id);
          } else {
            expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
            expect(signed.headers[sender.signatureHeader]).not.toContain(result.deliveryId);
          }
          const seconds = new Date(Math.floor(timestamp.getTime() / 1000) * 1000);
          const expected = { ms: timestamp, seconds, none: undefined }[sender.timestamp];
          expect(result.timestamp).toEqual(expected);
        }),
        params,
      );
    });

    it('verifies with a rotation list where only the second secret matches', () => {
      fc.assert(
        fc.property(body, sender.secret, sender.secret, sentAt, safeId, (payload, retired, secret, timestamp, id) => {
          fc.pre(!equivalentHmacKeys(keyBytes(retired), keyBytes(secret)));
          const signed = sign(sender, secret, payload, timestamp, id);
          expect(isRejected(() => verify(sender, [retired, secret], signed, timestamp))).toBe(false);
          expect(isRejected(() => verify(sender, [retired], signed, timestamp))).toBe(true);
        }),
        params,
      );
    });

    it('refuses the delivery after any single byte of the body changes', () => {
      fc.assert(
        fc.property(body, sender.secret, sentAt, position, byteMask, (payload, secret, timestamp, at, mask) => {
          const signed = sign(sender, secret, payload, timestamp, 'id-1');
          const tampered = { ...signed, body: flipByte(signed.body, at % signed.body.length, mask) };
          return isRejected(() => verify(sender, secret, tampered, timestamp));
        }),
        params,
      );
    });

    it('refuses the delivery after any single byte of the signature changes', () => {
      fc.assert(
        fc.property(body, sender.secret, sentAt, position, fc.nat(), (payload, secret, timestamp, at, pick) => {
          const signed = sign(sender, secret, payload, timestamp, 'id-1');
          const header = tamperedSignature(sender, signed.headers[sender.signatureHeader]!, at, pick);
          expect(header).not.toBe(signed.headers[sender.signatureHeader]);
          const tampered = { ...signed, headers: { ...signed.headers, [sender.signatureHeader]: header } };
          return isRejected(() => verify(sender, secret, tampered, timestamp));
        }),
        params,
      );
    });

    if (sender.signedHeaders.length > 0) {
      it(`refuses the delivery after any single character of ${sender.signedHeaders.join(' or ')} changes`, () => {
        fc.assert(
          fc.property(
            body,
            sender.secret,
            sentAt,
            safeId,
            fc.constantFrom(...sender.signedHeaders),
            position,
            printable,
            (payload, secret, timestamp, id, name, at, replacement) => {
              const signed = sign(sender, secret, payload, timestamp, id);
              const value = signed.headers[name]!;
              const index = at % value.length;
              fc.pre(value[index] !== replacement);
              const tampered = {
                ...signed,
                headers: { ...signed.headers, [name]: replaceCharAt(value, index, replacement) },
              };
              return isRejected(() => verify(sender, secret, tampered, timestamp));
            },
          ),
          params,
        );
      });
    }

    it('answers arbitrary header values with a WebhookVerificationError, never another error', () => {
      const headerValue = fc.oneof(
        fc.string({ maxLength: 100, unit: 'binary' }),
        fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
        fc.constant(undefined),
      );
      const names = [sender.signatureHeader, ...sender.signedHeaders, 'x-github-delivery', 'x-timestamp'];
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.constantFrom(...names), headerValue)), body, (entries, payload) => {
          const headers = Object.fromEntries(entries);
          return isRejected(() =>
            verifyWebhook({
              provider: sender.provider,
              secret: 'whsec_c2VjcmV0',
              token: sender.token,
              headers,
              rawBody: Buffer.from(payload),
            }),
          );
        }),
        params,
      );
    });
  });
});

describe('properties of the delivery ids and events', () => {
  it('usersnap and guuru ids are 32-hex digests that never contain the signature', () => {
    fc.assert(
      fc.property(
        body,
        sharedSecret,
        sentAt,
        fc.constantFrom('usersnap' as const, 'guuru' as const),
        (payload, secret, timestamp, provider) => {
          const signed = signWebhook({ provider, secret, payload, timestamp });
          const { deliveryId } = verifyWebhook({
            provider,
            secret,
            headers: signed.headers,
            rawBody: signed.body,
            now: timestamp,
          });
          const signature = signed.headers[provider === 'usersnap' ? 'x-usersnap-signature' : 'x-guuru-hmac-sha256']!;
          expect(deliveryId).toMatch(/^[0-9a-f]{32}$/);
          expect(signature).not.toContain(deliveryId);
          expect(deliveryId).not.toContain(signature.slice(0, 16));
        },
      ),
      params,
    );
  });

  it('usersnap returns the signed timestamp, to the millisecond', () => {
    fc.assert(
      fc.property(body, sharedSecret, sentAt, (payload, secret, timestamp) => {
        const signed = signWebhook({ provider: 'usersnap', secret, payload, timestamp });
        const result = verifyWebhook({
          provider: 'usersnap',
          secret,
          headers: signed.headers,
          rawBody: signed.body,
          now: timestamp,
        });
        expect(result.timestamp).toEqual(timestamp);
      }),
      params,
    );
  });

  it('survicate returns the body messageId and the single key of event', () => {
    fc.assert(
      fc.property(
        sharedSecret,
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ minLength: 1, maxLength: 30 }),
        (secret, messageId, name) => {
          const payload = JSON.stringify({ messageId, deliveryTries: 0, event: { [name]: { answer: 1 } } });
          const signed = signWebhook({ provider: 'survicate', secret, payload });
          const result = verifyWebhook({
            provider: 'survicate',
            secret,
            headers: signed.headers,
            rawBody: signed.body,
          });
          expect(result).toEqual({ deliveryId: messageId, event: name, timestamp: undefined });
        },
      ),
      params,
    );
  });

  it('standard-webhooks returns webhook-id, the body type and the timestamp in seconds', () => {
    fc.assert(
      fc.property(
        whsecSecret,
        safeId,
        fc.string({ minLength: 1, maxLength: 30 }),
        sentAt,
        (secret, id, type, timestamp) => {
          const signed = signWebhook({
            provider: 'standard-webhooks',
            secret,
            id,
            timestamp,
            payload: { type, data: {} },
          });
          const result = verifyWebhook({
            provider: 'standard-webhooks',
            secret,
            headers: signed.headers,
            rawBody: signed.body,
            now: timestamp,
          });
          expect(result).toEqual({
            deliveryId: id,
            event: type,
            timestamp: new Date(Math.floor(timestamp.getTime() / 1000) * 1000),
          });
        },
      ),
      params,
    );
  });
});

describe('properties of shopsurvey (the body is not signed: its headers are)', () => {
  const SIGNED_HEADERS = [
    'x-shopsurvey-webhook-topic',
    'x-shopsurvey-webhook-sent-at',
    'x-shopsurvey-webhook-request-id',
    'x-shopsurvey-webhook-attempt',
    'x-shopsurvey-webhook-message-id',
    'x-shopsurvey-webhook-id',
    'x-shopsurvey-webhook-hmac-algorithm',
  ];
  const topic = fc.constantFrom('Survey.Created', 'Survey.Updated', 'Response.Created', 'Session.Abandoned');
  const messageId = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme-ascii' });

  it('verifies what it signs: MESSAGE-ID is the id, TOPIC the event, SENT-AT the timestamp', () => {
    fc.assert(
      fc.property(sharedSecret, messageId, topic, sentAt, fc.option(body), (secret, id, event, timestamp, payload) => {
        const signed = signWebhook({
          provider: 'shopsurvey',
          secret,
          id,
          event,
          timestamp,
          payload: payload ?? undefined,
        });
        const result = verifyWebhook({
          provider: 'shopsurvey',
          secret,
          headers: signed.headers,
          rawBody: signed.body,
          now: timestamp,
        });
        expect(result).toEqual({ deliveryId: id, event, timestamp });
      }),
      params,
    );
  });

  it('still verifies when the body changes (the body is not signed)', () => {
    fc.assert(
      fc.property(sharedSecret, sentAt, body, body, (secret, timestamp, sent, received) => {
        const signed = signWebhook({ provider: 'shopsurvey', secret, timestamp, payload: sent });
        return !isRejected(() =>
          verifyWebhook({
            provider: 'shopsurvey',
            secret,
            headers: signed.headers,
            rawBody: Buffer.from(received),
            now: timestamp,
          }),
        );
      }),
      params,
    );
  });

  it('refuses the delivery after any single character of a signed header changes', () => {
    fc.assert(
      fc.property(
        sharedSecret,
        messageId,
        topic,
        sentAt,
        fc.constantFrom(...SIGNED_HEADERS),
        position,
        printable,
        (secret, id, event, timestamp, name, at, replacement) => {
          const signed = signWebhook({ provider: 'shopsurvey', secret, id, event, timestamp });
          const value = signed.headers[name]!;
          const index = at % value.length;
          fc.pre(value[index] !== replacement);
          const headers = { ...signed.headers, [name]: replaceCharAt(value, index, replacement) };
          return isRejected(() =>
            verifyWebhook({ provider: 'shopsurvey', secret, headers, rawBody: signed.body, now: timestamp }),
          );
        },
      ),
      params,
    );
  });

  it('refuses the delivery after any hex digit of the HMAC changes', () => {
    fc.assert(
      fc.property(sharedSecret, sentAt, position, fc.nat(), (secret, timestamp, at, pick) => {
        const signed = signWebhook({ provider: 'shopsurvey', secret, timestamp });
        const hmac = signed.headers['x-shopsurvey-webhook-hmac']!;
        const index = at % hmac.length;
        const headers = {
          ...signed.headers,
          'x-shopsurvey-webhook-hmac': replaceCharAt(hmac, index, otherHexDigit(hmac[index]!, pick)),
        };
        return isRejected(() =>
          verifyWebhook({ provider: 'shopsurvey', secret, headers, rawBody: signed.body, now: timestamp }),
        );
      }),
      params,
    );
  });
});
