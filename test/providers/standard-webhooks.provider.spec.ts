import {
  createHmac,
  generateKeyPairSync,
  randomBytes,
  sign as signEd25519,
  verify as verifyEd25519,
} from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { signWebhook, verifyWebhook, WebhookConfigurationError, WebhookVerifier } from '../../lib/index.js';
import type { WebhookHeaders } from '../../lib/index.js';
import { flipByte, isRejected, reasonOf } from '../core/rejections.js';

const KEY = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'utf8');
const SECRET = `whsec_${KEY.toString('base64')}`;
const MSG_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const SENT = new Date('2024-05-01T12:00:00Z');
const SENT_SECONDS = String(SENT.getTime() / 1000);
const PAYLOAD = '{"type":"invoice.paid","data":{"id":"in_1","customer":"Jo\u00e3o","amount":1200}}';

/** The specification by hand: base64 HMAC-SHA256 of `${id}.${timestamp}.${body}` keyed with the decoded secret. */
function v1(id: string, timestamp: string, body: string | Buffer, key: Buffer = KEY): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64')}`;
}

function headersFor(signature: string, id = MSG_ID, timestamp = SENT_SECONDS): Record<string, string> {
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
}

function verify(
  headers: WebhookHeaders,
  body: string | Buffer = PAYLOAD,
  options: { secret?: string | string[]; now?: Date; toleranceSeconds?: number } = {},
) {
  const { secret = SECRET, now = SENT, toleranceSeconds } = options;
  return verifyWebhook({
    provider: 'standard-webhooks',
    secret,
    headers,
    rawBody: Buffer.from(body),
    now,
    toleranceSeconds,
  });
}

/** A fresh ed25519 key pair as Standard Webhooks writes it: whpk_ (raw public key) and whsk_ (32-byte seed). */
function ed25519Secrets() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const raw = (base64url: string | undefined) => Buffer.from(base64url!, 'base64url');
  expect(raw(jwk.x)).toHaveLength(32);
  expect(raw(jwk.d)).toHaveLength(32);
  return {
    publicKey,
    privateKey,
    whpk: `whpk_${raw(jwk.x).toString('base64')}`,
    whsk: `whsk_${raw(jwk.d).toString('base64')}`,
  };
}

describe('standard-webhooks provider', () => {
  describe('v1 (HMAC-SHA256)', () => {
    it('verifies a signature computed by hand: id = webhook-id, event = body type, timestamp in seconds', () => {
      const result = verify(headersFor(v1(MSG_ID, SENT_SECONDS, PAYLOAD)));
      expect(result).toEqual({ deliveryId: MSG_ID, event: 'invoice.paid', timestamp: SENT });
    });

    it('round-trips signWebhook then verifyWebhook', () => {
      const signed = signWebhook({
        provider: 'standard-webhooks',
        secret: SECRET,
        id: MSG_ID,
        timestamp: SENT,
        payload: PAYLOAD,
      });
      expect(signed.headers).toEqual({
        'content-type': 'application/json',
        ...headersFor(v1(MSG_ID, SENT_SECONDS, PAYLOAD)),
      });
      expect(verify(signed.headers, signed.body)).toEqual({
        deliveryId: MSG_ID,
        event: 'invoice.paid',
        timestamp: SENT,
      });
    });

    it('writes a msg_ id when none is given, and floors the timestamp to seconds', () => {
      const signed = signWebhook({
        provider: 'standard-webhooks',
        secret: SECRET,
        timestamp: new Date(SENT.getTime() + 999),
        payload: PAYLOAD,
      });
      expect(signed.headers['webhook-id']).toMatch(/^msg_[A-Za-z0-9_-]+$/);
      expect(signed.headers['webhook-timestamp']).toBe(SENT_SECONDS);
      expect(verify(signed.headers, signed.body).deliveryId).toBe(signed.headers['webhook-id']);
    });

    it('accepts the bare base64 key without whsec_, as the reference implementation does', () => {
      const result = verify(headersFor(v1(MSG_ID, SENT_SECONDS, PAYLOAD)), PAYLOAD, { secret: KEY.toString('base64') });
      expect(result.deliveryId).toBe(MSG_ID);
    });

    it('has no event when the body has no string type', () => {
      for (const body of ['{"data":1}', '{"type":7}', '[]', 'plain text', '']) {
        expect(verify(headersFor(v1(MSG_ID, SENT_SECONDS, body)), body).event).toBeUndefined();
      }
    });

    it('rejects another secret, body, id or timestamp', () => {
      const signature = v1(MSG_ID, SENT_SECONDS, PAYLOAD);
      const otherSecret = `whsec_${randomBytes(24).toString('base64')}`;
      expect(reasonOf(() => verify(headersFor(signature), PAYLOAD, { secret: otherSecret }))).toBe('invalid_signature');
      expect(reasonOf(() => verify(headersFor(signature), `${PAYLOAD} `))).toBe('invalid_signature');
      expect(reasonOf(() => verify(headersFor(signature, 'msg_other')))).toBe('invalid_signature');
      expect(reasonOf(() => verify(headersFor(signature, MSG_ID, String(Number(SENT_SECONDS) + 1))))).toBe(
        'invalid_signature',
      );
    });
  });

  describe('interoperability with the standardwebhooks reference package', () => {
    it('verifies what the reference signs', () => {
      const now = new Date();
      const signature = new Webhook(SECRET).sign(MSG_ID, now, PAYLOAD);
      const timestamp = String(Math.floor(now.getTime() / 1000));
      const result = verify(headersFor(signature, MSG_ID, timestamp), PAYLOAD, { now });
      expect(result).toEqual({
        deliveryId: MSG_ID,
        event: 'invoice.paid',
        timestamp: new Date(Number(timestamp) * 1000),
      });
    });

    it('has the reference accept what we sign', () => {
      const signed = signWebhook({
        provider: 'standard-webhooks',
        secret: SECRET,
        timestamp: new Date(),
        payload: PAYLOAD,
      });
      expect(new Webhook(SECRET).verify(signed.body.toString('utf8'), signed.headers)).toEqual(JSON.parse(PAYLOAD));
      expect(new Webhook(SECRET).verify(signed.body, signed.headers)).toEqual(JSON.parse(PAYLOAD));
    });

    it('agrees with the reference on a body with non-ASCII text and spaces', () => {
      const body = '{ "type": "user.created",  "name": "Jo\u00e3o \u{1F600}" }';
      const signature = new Webhook(SECRET).sign(MSG_ID, SENT, body);
      expect(signature).toBe(v1(MSG_ID, SENT_SECONDS, body));
      expect(verify(headersFor(signature), body).event).toBe('user.created');
    });

    it('has the reference reject what we sign with another secret', () => {
      const signed = signWebhook({
        provider: 'standard-webhooks',
        secret: SECRET,
        timestamp: new Date(),
        payload: PAYLOAD,
      });
      const other = new Webhook(`whsec_${randomBytes(32).toString('base64')}`);
      expect(() => other.verify(signed.body.toString('utf8'), signed.headers)).toThrow('No matching signature found');
    });
  });

  describe('several signatures in the header', () => {
    const good = v1(MSG_ID, SENT_SECONDS, PAYLOAD);
    const bad = v1(MSG_ID, SENT_SECONDS, PAYLOAD, Buffer.from('another key'));

    it.each([
      ['a bad one first', `${bad} ${good}`],
      ['a bad one after', `${good} ${bad}`],
      ['an unknown version first', `v2,xxx ${good}`],
      ['a v1a entry that does not verify', `v1a,${randomBytes(64).toString('base64')} ${good}`],
      ['a malformed v1 entry', `v1,not-base64! ${good}`],
      ['a truncated v1 entry', `${bad.slice(0, 20)} ${good}`],
      ['a stray word', `garbage ${good}`],
      ['doubled spaces', `${bad}  ${good}`],
    ])('verifies with %s', (_label, header) => {
      expect(verify(headersFor(header)).deliveryId).toBe(MSG_ID);
    });

    it('rejects a header of well-formed entries none of which matches as invalid_signature', () => {
      expect(reasonOf(() => verify(headersFor(`${bad} ${bad}`)))).toBe('invalid_signature');
      expect(reasonOf(() => verify(headersFor('v2,xxx')))).toBe('invalid_signature');
    });

    it.each([
      ['a word', 'garbage'],
      ['a version without a signature', 'v1,'],
      ['a signature without a version', `,${good.slice(3)}`],
      ['the signature without its version', good.slice(3)],
      ['not base64', 'v1,!!!!'],
      ['base64 of the wrong length', `v1,${Buffer.alloc(31).toString('base64')}`],
      ['unpadded base64', `v1,${good.slice(3).replace(/=+$/, '')}`],
      ['base64url', `v1,${Buffer.from(good.slice(3), 'base64').toString('base64url')}`],
      ['only spaces', '   '],
    ])('rejects a header with no well-formed entry (%s) as malformed_signature', (_label, header) => {
      expect(reasonOf(() => verify(headersFor(header)))).toBe('malformed_signature');
    });
  });

  describe('rotation', () => {
    it('verifies with a secret list where only the second secret matches', () => {
      const retired = `whsec_${randomBytes(24).toString('base64')}`;
      expect(
        verify(headersFor(v1(MSG_ID, SENT_SECONDS, PAYLOAD)), PAYLOAD, { secret: [retired, SECRET] }).deliveryId,
      ).toBe(MSG_ID);
      expect(
        reasonOf(() => verify(headersFor(v1(MSG_ID, SENT_SECONDS, PAYLOAD)), PAYLOAD, { secret: [retired] })),
      ).toBe('invalid_signature');
    });

    it('signs with the first secret of a list', () => {
      const first = randomBytes(24);
      const signed = signWebhook({
        provider: 'standard-webhooks',
        secret: [`whsec_${first.toString('base64')}`, SECRET],
        id: MSG_ID,
        timestamp: SENT,
        payload: PAYLOAD,
      });
      expect(signed.headers['webhook-signature']).toBe(v1(MSG_ID, SENT_SECONDS, PAYLOAD, first));
    });
  });

  describe('headers and timestamps', () => {
    const signature = v1(MSG_ID, SENT_SECONDS, PAYLOAD);

    it('rejects a missing or duplicated webhook-id as malformed_signature', () => {
      expect(reasonOf(() => verify({ 'webhook-timestamp': SENT_SECONDS, 'webhook-signature': signature }))).toBe(
        'malformed_signature',
      );
      expect(reasonOf(() => verify({ ...headersFor(signature), 'webhook-id': '' }))).toBe('malformed_signature');
      expect(reasonOf(() => verify({ ...headersFor(signature), 'webhook-id': [MSG_ID, MSG_ID] }))).toBe(
        'malformed_signature',
      );
    });

    it('rejects a missing signature header as missing_signature and a duplicated one as malformed_signature', () => {
      expect(reasonOf(() => verify({ 'webhook-id': MSG_ID, 'webhook-timestamp': SENT_SECONDS }))).toBe(
        'missing_signature',
      );
      expect(reasonOf(() => verify({ ...headersFor(signature), 'webhook-signature': [signature, signature] }))).toBe(
        'malformed_signature',
      );
    });

    it('rejects a missing timestamp as missing_timestamp', () => {
      expect(reasonOf(() => verify({ 'webhook-id': MSG_ID, 'webhook-signature': signature }))).toBe(
        'missing_timestamp',
      );
      expect(reasonOf(() => verify(headersFor(signature, MSG_ID, '')))).toBe('missing_timestamp');
    });

    it.each([
      ['negative', '-5'],
      ['with letters', '12a'],
      ['in milliseconds', String(SENT.getTime())],
      ['oversized', '9'.repeat(30)],
      ['decimal', `${SENT_SECONDS}.5`],
      ['duplicated', [SENT_SECONDS, SENT_SECONDS]],
    ])('rejects a timestamp %s as malformed_timestamp', (_label, timestamp) => {
      const headers = { 'webhook-id': MSG_ID, 'webhook-signature': signature, 'webhook-timestamp': timestamp };
      expect(reasonOf(() => verify(headers, PAYLOAD, { toleranceSeconds: 0 }))).toBe('malformed_timestamp');
    });

    it('applies the 5-minute window both ways, configurable, and off with 0', () => {
      const headers = headersFor(signature);
      expect(reasonOf(() => verify(headers, PAYLOAD, { now: new Date(SENT.getTime() + 301_000) }))).toBe(
        'timestamp_out_of_window',
      );
      expect(reasonOf(() => verify(headers, PAYLOAD, { now: new Date(SENT.getTime() - 301_000) }))).toBe(
        'timestamp_out_of_window',
      );
      expect(verify(headers, PAYLOAD, { now: new Date(SENT.getTime() + 300_000) }).timestamp).toEqual(SENT);
      expect(
        reasonOf(() => verify(headers, PAYLOAD, { now: new Date(SENT.getTime() + 11_000), toleranceSeconds: 10 })),
      ).toBe('timestamp_out_of_window');
      expect(
        verify(headers, PAYLOAD, { now: new Date('2035-01-01T00:00:00Z'), toleranceSeconds: 0 }).timestamp,
      ).toEqual(SENT);
    });

    it('accepts header names in any case', () => {
      const headers = { 'Webhook-Id': MSG_ID, 'WEBHOOK-TIMESTAMP': SENT_SECONDS, 'Webhook-Signature': signature };
      expect(verify(headers).deliveryId).toBe(MSG_ID);
    });
  });

  describe('v1a (ed25519)', () => {
    it('signs with a whsk_ seed, writing a v1a entry that verifies with the whpk_ public key', () => {
      const { whpk, whsk, publicKey } = ed25519Secrets();
      const signed = signWebhook({
        provider: 'standard-webhooks',
        secret: whsk,
        id: MSG_ID,
        timestamp: SENT,
        payload: PAYLOAD,
      });
      const header = signed.headers['webhook-signature']!;
      expect(header).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
      // The signature is a real ed25519 signature over id.timestamp.body.
      const content = Buffer.from(`${MSG_ID}.${SENT_SECONDS}.${PAYLOAD}`, 'utf8');
      expect(verifyEd25519(null, content, publicKey, Buffer.from(header.slice(4), 'base64'))).toBe(true);
      expect(verify(signed.headers, signed.body, { secret: whpk })).toEqual({
        deliveryId: MSG_ID,
        event: 'invoice.paid',
        timestamp: SENT,
      });
      expect(verify(signed.headers, signed.body, { secret: whsk }).deliveryId).toBe(MSG_ID);
    });

    it('verifies a v1a signature made by hand with node:crypto', () => {
      const { whpk, privateKey } = ed25519Secrets();
      const content = Buffer.from(`${MSG_ID}.${SENT_SECONDS}.${PAYLOAD}`, 'utf8');
      const header = `v1a,${signEd25519(null, content, privateKey).toString('base64')}`;
      expect(verify(headersFor(header), PAYLOAD, { secret: whpk }).event).toBe('invoice.paid');
    });

    it('rejects a tampered body, another key, or a v1a signature checked as v1', () => {
      const { whpk, whsk } = ed25519Secrets();
      const signed = signWebhook({
        provider: 'standard-webhooks',
        secret: whsk,
        id: MSG_ID,
        timestamp: SENT,
        payload: PAYLOAD,
      });
      const tampered = flipByte(signed.body, 10, 0x01);
      expect(reasonOf(() => verify(signed.headers, tampered, { secret: whpk }))).toBe('invalid_signature');
      expect(reasonOf(() => verify(signed.headers, signed.body, { secret: ed25519Secrets().whpk }))).toBe(
        'invalid_signature',
      );
      expect(reasonOf(() => verify(signed.headers, signed.body, { secret: SECRET }))).toBe('invalid_signature');
    });

    it('mixes v1 and v1a keys in one rotation list', () => {
      const { whpk, whsk } = ed25519Secrets();
      const signed = signWebhook({
        provider: 'standard-webhooks',
        secret: whsk,
        id: MSG_ID,
        timestamp: SENT,
        payload: PAYLOAD,
      });
      expect(verify(signed.headers, signed.body, { secret: [SECRET, whpk] }).deliveryId).toBe(MSG_ID);
      const both = `${signed.headers['webhook-signature']} ${v1(MSG_ID, SENT_SECONDS, PAYLOAD)}`;
      expect(verify(headersFor(both), PAYLOAD, { secret: SECRET }).deliveryId).toBe(MSG_ID);
    });

    it('cannot sign with whpk_ public keys only', () => {
      const { whpk } = ed25519Secrets();
      expect(() => signWebhook({ provider: 'standard-webhooks', secret: whpk, payload: PAYLOAD })).toThrow(
        WebhookConfigurationError,
      );
      expect(() =>
        new WebhookVerifier({ provider: 'standard-webhooks', secret: whpk }).sign({ payload: PAYLOAD }),
      ).toThrow(WebhookConfigurationError);
    });
  });

  describe('configuration', () => {
    it.each([
      ['no secret', undefined],
      ['an empty list', []],
      ['a secret that is not base64', 'whsec_not base64!'],
      ['an empty whsec_', 'whsec_'],
      ['a whpk_ key of the wrong length', `whpk_${randomBytes(31).toString('base64')}`],
      ['a whsk_ seed of the wrong length', `whsk_${randomBytes(64).toString('base64')}`],
    ])('refuses %s', (_label, secret) => {
      expect(() => new WebhookVerifier({ provider: 'standard-webhooks', secret })).toThrow(WebhookConfigurationError);
    });
  });

  it('rejects every single-character change of a v1 signature (strict base64)', () => {
    // Flips every character of the signature to every other base64 character. A
    // change in the unused low bits of the last character before "=" still decodes
    // to the same bytes; a strict decoder must refuse that non-canonical text, as the
    // reference implementation (which compares the text) does.
    const signature = v1(MSG_ID, SENT_SECONDS, PAYLOAD).slice(3);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const accepted: string[] = [];
    for (let index = 0; index < signature.length; index += 1) {
      if (signature[index] === '=') continue;
      for (const replacement of alphabet) {
        if (replacement === signature[index]) continue;
        const changed = `v1,${signature.slice(0, index)}${replacement}${signature.slice(index + 1)}`;
        if (!isRejected(() => verify(headersFor(changed)))) accepted.push(changed);
      }
    }
    expect(accepted).toEqual([]);
  });

  it('refuses a header sent twice (Node joins it with ", ") and one with too many entries', () => {
    const secret = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
    const signed = signWebhook({ provider: 'standard-webhooks', secret, payload: { type: 'x' } });
    const good = signed.headers['webhook-signature']!;
    const joined = { ...signed.headers, 'webhook-signature': `v1,${'A'.repeat(43)}=, ${good}` };
    expect(
      reasonOf(() => verifyWebhook({ provider: 'standard-webhooks', secret, headers: joined, rawBody: signed.body })),
    ).toBe('malformed_signature');
    const many = {
      ...signed.headers,
      'webhook-signature': [...Array.from({ length: 16 }, () => `v1,${'A'.repeat(43)}=`), good].join(' '),
    };
    expect(
      reasonOf(() => verifyWebhook({ provider: 'standard-webhooks', secret, headers: many, rawBody: signed.body })),
    ).toBe('malformed_signature');
    const rotation = { ...signed.headers, 'webhook-signature': `v1,${'A'.repeat(43)}= v2,xyz ${good}` };
    expect(() =>
      verifyWebhook({ provider: 'standard-webhooks', secret, headers: rotation, rawBody: signed.body }),
    ).not.toThrow();
  });
});
