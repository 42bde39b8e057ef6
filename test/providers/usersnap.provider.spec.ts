import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  BUILT_IN_PROVIDERS,
  IncomingWebhook,
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
} from '../../lib/index.js';
import type { WebhookHeaders } from '../../lib/index.js';
import { flipByte, reasonOf } from '../core/rejections.js';

const SECRET = 'usersnap-security-token';
/** A real delivery's timestamp: milliseconds since the epoch. */
const SENT_MS = 1643795564507;
const NOW = new Date(SENT_MS);

/** The seed's feedback document, with its spaces and line breaks: the bytes are what is signed. */
const FEEDBACK = `{
"feedback_number": 1000,
"link": "https://app.usersnap.com/l/feedback/45a5c97d-2a8f-46c0-90b6-d6089192b161",
"comment": {
"text": "This example feedback will show if your integration setup is correct"
},
"visitor": {
"email": "jo\u00e3o@example.com"
}
}`;

/** `int(timestamp).to_bytes(32, "little")`, written with Node's own 64-bit writer, limb by limb. */
function pythonTimestampBytes(timestamp: bigint): Buffer {
  const bytes = Buffer.alloc(32);
  const mask = (1n << 64n) - 1n;
  for (let limb = 0; limb < 4; limb += 1) bytes.writeBigUInt64LE((timestamp >> BigInt(limb * 64)) & mask, limb * 8);
  return bytes;
}

/** The seed's Python: hmac.new(secret, data, sha256); update(timestamp bytes); hexdigest(). */
function pythonSignature(secret: string, body: Buffer, timestamp: bigint | number): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(body)
    .update(pythonTimestampBytes(BigInt(timestamp)))
    .digest('hex');
}

function verify(headers: WebhookHeaders, rawBody: Buffer, options: { now?: Date; toleranceSeconds?: number } = {}) {
  return verifyWebhook({ provider: 'usersnap', secret: SECRET, headers, rawBody, now: NOW, ...options });
}

const BODY = Buffer.from(FEEDBACK, 'utf8');
const SIGNATURE = pythonSignature(SECRET, BODY, SENT_MS);
const HEADERS = { 'x-usersnap-signature': SIGNATURE, 'x-usersnap-timestamp': String(SENT_MS) };

describe('usersnap provider', () => {
  describe('signatures computed as the seed does in Python', () => {
    it('verifies HMAC-SHA256 over the body then the timestamp as 32 little-endian bytes', () => {
      const result = verify(HEADERS, BODY);
      expect(result.timestamp).toEqual(new Date(SENT_MS));
      expect(result.event).toBeUndefined();
      expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
      expect(SIGNATURE).not.toContain(result.deliveryId);
      expect(result.deliveryId).not.toContain(SIGNATURE);
      // A digest of the signature: a prefix of its SHA-256.
      expect(result.deliveryId).toBe(
        createHash('sha256').update(Buffer.from(SIGNATURE, 'hex')).digest('hex').slice(0, 32),
      );
    });

    it('checks the little-endian encoding against a hand-written vector', () => {
      const bytes = pythonTimestampBytes(0x0102n);
      expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0x02, 0x01, 0x00]));
      expect(bytes.length).toBe(32);
    });

    it('accepts headers in the case the documentation writes them', () => {
      const result = verify({ 'X-Usersnap-Signature': SIGNATURE, 'X-Usersnap-Timestamp': String(SENT_MS) }, BODY);
      expect(result.timestamp).toEqual(NOW);
    });

    it('accepts a timestamp in seconds (fewer than 13 digits)', () => {
      const seconds = Math.floor(SENT_MS / 1000);
      const headers = {
        'x-usersnap-signature': pythonSignature(SECRET, BODY, seconds),
        'x-usersnap-timestamp': String(seconds),
      };
      expect(verify(headers, BODY).timestamp).toEqual(new Date(seconds * 1000));
    });

    it('signs over the raw bytes: the same document re-serialised does not verify', () => {
      const reserialised = Buffer.from(JSON.stringify(JSON.parse(FEEDBACK)), 'utf8');
      expect(reasonOf(() => verify(HEADERS, reserialised))).toBe('invalid_signature');
    });

    it('covers the timestamp: the same signature with another timestamp does not verify', () => {
      const headers = { ...HEADERS, 'x-usersnap-timestamp': String(SENT_MS + 1) };
      expect(reasonOf(() => verify(headers, BODY))).toBe('invalid_signature');
    });

    it('rejects another secret', () => {
      expect(
        reasonOf(() =>
          verifyWebhook({ provider: 'usersnap', secret: 'other', headers: HEADERS, rawBody: BODY, now: NOW }),
        ),
      ).toBe('invalid_signature');
    });

    it('gives the same delivery id to the same signature and another to another', () => {
      const seconds = Math.floor(SENT_MS / 1000);
      const other = {
        'x-usersnap-signature': pythonSignature(SECRET, BODY, seconds),
        'x-usersnap-timestamp': String(seconds),
      };
      expect(verify(HEADERS, BODY).deliveryId).toBe(verify({ ...HEADERS }, Buffer.from(BODY)).deliveryId);
      expect(verify(other, BODY).deliveryId).not.toBe(verify(HEADERS, BODY).deliveryId);
    });
  });

  describe('multipart deliveries', () => {
    const screenshot = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10, 0x20]);
    const signed = signWebhook({
      provider: 'usersnap',
      secret: SECRET,
      payload: FEEDBACK,
      timestamp: NOW,
      attachments: [{ name: 'screenshot', filename: 's.png', contentType: 'image/png', data: screenshot }],
    });

    it('writes multipart/form-data with the timestamp in milliseconds', () => {
      expect(signed.headers['content-type']).toMatch(/^multipart\/form-data; boundary=\S+$/);
      expect(signed.headers['x-usersnap-timestamp']).toBe(String(SENT_MS));
      expect(signed.body.includes(screenshot)).toBe(true);
      expect(signed.body.includes(BODY)).toBe(true);
    });

    it('signs the whole raw multipart body, boundaries included, as the seed computes it', () => {
      expect(signed.headers['x-usersnap-signature']).toBe(pythonSignature(SECRET, signed.body, SENT_MS));
      const result = verify(signed.headers, signed.body);
      expect(result.timestamp).toEqual(NOW);
      expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
      expect(signed.headers['x-usersnap-signature']).not.toContain(result.deliveryId);
    });

    it('rejects a changed byte in the screenshot part or in a boundary', () => {
      const inScreenshot = flipByte(signed.body, signed.body.indexOf(screenshot) + 3, 0x01);
      expect(reasonOf(() => verify(signed.headers, inScreenshot))).toBe('invalid_signature');
      const inBoundary = flipByte(signed.body, 5, 0x01);
      expect(reasonOf(() => verify(signed.headers, inBoundary))).toBe('invalid_signature');
    });

    it('parses the feedback part as the payload and the screenshot as an attachment', async () => {
      const delivery = new IncomingWebhook(signed.headers, signed.body);
      const parsed = await BUILT_IN_PROVIDERS.usersnap.parse(delivery);
      expect(parsed.payload).toEqual(JSON.parse(FEEDBACK));
      expect(parsed.attachments).toEqual([
        { name: 'screenshot', filename: 's.png', contentType: 'image/png', data: screenshot },
      ]);
    });
  });

  describe('replay window', () => {
    it('accepts a timestamp exactly at the edge of the default 300 s window, either side', () => {
      expect(verify(HEADERS, BODY, { now: new Date(SENT_MS + 300_000) }).timestamp).toEqual(NOW);
      expect(verify(HEADERS, BODY, { now: new Date(SENT_MS - 300_000) }).timestamp).toEqual(NOW);
    });

    it('rejects a timestamp too old or too far in the future', () => {
      expect(reasonOf(() => verify(HEADERS, BODY, { now: new Date(SENT_MS + 300_001) }))).toBe(
        'timestamp_out_of_window',
      );
      expect(reasonOf(() => verify(HEADERS, BODY, { now: new Date(SENT_MS - 300_001) }))).toBe(
        'timestamp_out_of_window',
      );
    });

    it('applies a configured toleranceSeconds', () => {
      expect(reasonOf(() => verify(HEADERS, BODY, { now: new Date(SENT_MS + 61_000), toleranceSeconds: 60 }))).toBe(
        'timestamp_out_of_window',
      );
      expect(verify(HEADERS, BODY, { now: new Date(SENT_MS + 59_000), toleranceSeconds: 60 }).timestamp).toEqual(NOW);
    });

    it('turns the window off with toleranceSeconds 0', () => {
      const years = new Date(SENT_MS + 5 * 365 * 86_400_000);
      expect(verify(HEADERS, BODY, { now: years, toleranceSeconds: 0 }).timestamp).toEqual(NOW);
    });
  });

  describe('malformed and missing headers are rejections, never crashes', () => {
    it.each([
      ['absent', {}],
      ['empty', { 'x-usersnap-signature': '' }],
      ['an empty array', { 'x-usersnap-signature': [] }],
      ['an array of one empty string', { 'x-usersnap-signature': [''] }],
    ])('signature header %s: missing_signature', (_label, signatureHeader) => {
      const headers = { 'x-usersnap-timestamp': String(SENT_MS), ...signatureHeader };
      expect(reasonOf(() => verify(headers, BODY))).toBe('missing_signature');
    });

    it.each([
      ['sent twice', ['a', 'b']],
      ['sent twice, once valid', [SIGNATURE, SIGNATURE.replace(/^./, '0')]],
      ['of odd length', SIGNATURE.slice(1)],
      ['not hex', 'g'.repeat(64)],
      ['too short', SIGNATURE.slice(2)],
      ['too long', `${SIGNATURE}00`],
      ['prefixed', `sha256=${SIGNATURE}`],
      ['with spaces', ` ${SIGNATURE.slice(1)}`],
      ['base64', Buffer.from(SIGNATURE, 'hex').toString('base64')],
    ])('signature header %s: malformed_signature', (_label, signature) => {
      const headers = { 'x-usersnap-timestamp': String(SENT_MS), 'x-usersnap-signature': signature };
      expect(reasonOf(() => verify(headers, BODY))).toBe('malformed_signature');
    });

    it('accepts a signature header given as an array of one value', () => {
      const headers = { 'x-usersnap-timestamp': [String(SENT_MS)], 'x-usersnap-signature': [SIGNATURE] };
      expect(verify(headers, BODY).timestamp).toEqual(NOW);
    });

    it.each([
      ['absent', {}],
      ['empty', { 'x-usersnap-timestamp': '' }],
    ])('timestamp header %s: missing_timestamp', (_label, timestampHeader) => {
      const headers = { 'x-usersnap-signature': SIGNATURE, ...timestampHeader };
      expect(reasonOf(() => verify(headers, BODY))).toBe('missing_timestamp');
    });

    it.each([
      ['negative', '-5'],
      ['with letters', '12a'],
      ['80 digits (more than 32 bytes)', '9'.repeat(80)],
      ['2^256 (one more than 32 bytes hold)', (1n << 256n).toString()],
      ['decimal', '1643795564.507'],
      ['exponent', '1.6e12'],
      ['hexadecimal', '0x17ebb0a0f5b'],
      ['with a plus sign', `+${SENT_MS}`],
      ['padded with a space', ` ${SENT_MS}`],
      ['beyond the range of a date (16 digits of ms)', '9'.repeat(16)],
      ['sent twice', [String(SENT_MS), String(SENT_MS)]],
    ])('timestamp %s: malformed_timestamp', (_label, timestamp) => {
      const headers = { 'x-usersnap-signature': SIGNATURE, 'x-usersnap-timestamp': timestamp };
      expect(reasonOf(() => verify(headers, BODY, { toleranceSeconds: 0 }))).toBe('malformed_timestamp');
    });

    it('rejects a correctly signed timestamp that fits 32 bytes but is no date, without a RangeError', () => {
      const largest = (1n << 256n) - 1n;
      const headers = {
        'x-usersnap-signature': pythonSignature(SECRET, BODY, largest),
        'x-usersnap-timestamp': largest.toString(),
      };
      expect(reasonOf(() => verify(headers, BODY, { toleranceSeconds: 0 }))).toBe('malformed_timestamp');
    });
  });

  describe('secrets', () => {
    it('verifies with a rotation list where only the second secret matches', () => {
      const result = verifyWebhook({
        provider: 'usersnap',
        secret: ['retired', SECRET],
        headers: HEADERS,
        rawBody: BODY,
        now: NOW,
      });
      expect(result.timestamp).toEqual(NOW);
    });

    it('signs with the first secret of a list', () => {
      const signed = signWebhook({
        provider: 'usersnap',
        secret: ['current', 'retired'],
        payload: '{}',
        timestamp: NOW,
      });
      expect(signed.headers['x-usersnap-signature']).toBe(pythonSignature('current', signed.body, SENT_MS));
    });

    it('needs a secret', () => {
      expect(() => verifyWebhook({ provider: 'usersnap', headers: HEADERS, rawBody: BODY })).toThrow(
        WebhookConfigurationError,
      );
      expect(() => verifyWebhook({ provider: 'usersnap', secret: '', headers: HEADERS, rawBody: BODY })).toThrow(
        WebhookConfigurationError,
      );
    });
  });
});
