import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { signWebhook, verifyWebhook, WebhookVerifier } from '../../lib/index.js';
import type { WebhookHeaders } from '../../lib/index.js';
import { reasonOf } from '../core/rejections.js';

const SECRET = 'shopsurvey-hmac-secret';
const SENT_AT = '2024-05-01T12:00:00.000Z';
const NOW = new Date(SENT_AT);

/** The seven signed headers, upper-case as the public page writes them. */
const SIGNED: Record<string, string> = {
  'X-SHOPSURVEY-WEBHOOK-TOPIC': 'Response.Created',
  'X-SHOPSURVEY-WEBHOOK-SENT-AT': SENT_AT,
  'X-SHOPSURVEY-WEBHOOK-REQUEST-ID': 'req-7f3a',
  'X-SHOPSURVEY-WEBHOOK-ATTEMPT': '1',
  'X-SHOPSURVEY-WEBHOOK-MESSAGE-ID': 'msg-42',
  'X-SHOPSURVEY-WEBHOOK-ID': 'wh-9',
  'X-SHOPSURVEY-WEBHOOK-HMAC-ALGORITHM': 'SHA256',
};

/** The HMAC payload, written out by hand: compact JSON, keys sorted, string values. */
const PAYLOAD_BY_HAND =
  '{"X-SHOPSURVEY-WEBHOOK-ATTEMPT":"1","X-SHOPSURVEY-WEBHOOK-HMAC-ALGORITHM":"SHA256","X-SHOPSURVEY-WEBHOOK-ID":"wh-9",' +
  '"X-SHOPSURVEY-WEBHOOK-MESSAGE-ID":"msg-42","X-SHOPSURVEY-WEBHOOK-REQUEST-ID":"req-7f3a",' +
  `"X-SHOPSURVEY-WEBHOOK-SENT-AT":"${SENT_AT}","X-SHOPSURVEY-WEBHOOK-TOPIC":"Response.Created"}`;

/** As the seed's Ruby does: the headers sorted by key, to JSON, HMAC hexdigest with the named algorithm. */
function sign(headers: Record<string, string>, algorithm = 'sha256', secret = SECRET): string {
  const sorted = Object.fromEntries(
    Object.keys(headers)
      .sort()
      .map((key) => [key, headers[key]]),
  );
  return createHmac(algorithm, secret).update(JSON.stringify(sorted)).digest('hex');
}

/** Headers as Node hands them over: lower-case names, with the signature. */
function delivery(signed: Record<string, string>, signature = sign(signed)): Record<string, string> {
  const headers: Record<string, string> = { 'x-shopsurvey-webhook-hmac': signature };
  for (const [name, value] of Object.entries(signed)) headers[name.toLowerCase()] = value;
  return headers;
}

function verify(
  headers: WebhookHeaders,
  options: { body?: string; now?: Date; toleranceSeconds?: number; secret?: string | string[] } = {},
) {
  const { body = '{"survey":"s-1"}', now = NOW, toleranceSeconds, secret = SECRET } = options;
  return verifyWebhook({ provider: 'shopsurvey', secret, headers, rawBody: Buffer.from(body), now, toleranceSeconds });
}

describe('shopsurvey provider', () => {
  describe('the signed payload', () => {
    it('is the compact JSON of the seven headers sorted by upper-case name, not the body', () => {
      const expected = createHmac('sha256', SECRET).update(PAYLOAD_BY_HAND).digest('hex');
      expect(sign(SIGNED)).toBe(expected);
      const result = verify(delivery(SIGNED, expected));
      expect(result).toEqual({ deliveryId: 'msg-42', event: 'Response.Created', timestamp: NOW });
    });

    it('accepts the headers with the upper-case names the documentation writes', () => {
      const headers: Record<string, string> = { ...SIGNED, 'X-SHOPSURVEY-WEBHOOK-HMAC': sign(SIGNED) };
      expect(verify(headers).deliveryId).toBe('msg-42');
    });

    it('leaves an absent header out of the object', () => {
      const withoutRequestId = { ...SIGNED };
      delete withoutRequestId['X-SHOPSURVEY-WEBHOOK-REQUEST-ID'];
      expect(verify(delivery(withoutRequestId)).deliveryId).toBe('msg-42');
      // Signed as if it were present: no match.
      const headers = delivery(withoutRequestId, sign(SIGNED));
      expect(reasonOf(() => verify(headers))).toBe('invalid_signature');
    });

    it('round-trips signWebhook then verifyWebhook: MESSAGE-ID is the id, TOPIC the event, SENT-AT the timestamp', () => {
      const signed = signWebhook({
        provider: 'shopsurvey',
        secret: SECRET,
        id: 'msg-7',
        event: 'Survey.Created',
        timestamp: NOW,
        payload: { survey: 's-7' },
      });
      expect(signed.headers['x-shopsurvey-webhook-message-id']).toBe('msg-7');
      expect(signed.headers['x-shopsurvey-webhook-topic']).toBe('Survey.Created');
      expect(signed.headers['x-shopsurvey-webhook-sent-at']).toBe(SENT_AT);
      expect(signed.headers['x-shopsurvey-webhook-hmac-algorithm']).toBe('SHA256');
      const byHand: Record<string, string> = {};
      for (const name of Object.keys(SIGNED)) byHand[name] = signed.headers[name.toLowerCase()]!;
      expect(signed.headers['x-shopsurvey-webhook-hmac']).toBe(sign(byHand));
      const result = verifyWebhook({
        provider: 'shopsurvey',
        secret: SECRET,
        headers: signed.headers,
        rawBody: signed.body,
        now: NOW,
      });
      expect(result).toEqual({ deliveryId: 'msg-7', event: 'Survey.Created', timestamp: NOW });
    });

    it('does not cover the body: a changed body still verifies (documented: the replay window and MESSAGE-ID de-duplication protect it)', () => {
      const headers = delivery(SIGNED);
      expect(verify(headers, { body: '{"survey":"s-1"}' }).deliveryId).toBe('msg-42');
      expect(verify(headers, { body: '{"survey":"forged"}' }).deliveryId).toBe('msg-42');
    });

    it('verifies a GET delivery without a body', () => {
      const signed = signWebhook({
        provider: 'shopsurvey',
        secret: SECRET,
        timestamp: NOW,
        event: 'Session.Abandoned',
      });
      expect(signed.body.length).toBe(0);
      expect(signed.headers['content-type']).toBeUndefined();
      const result = verifyWebhook({
        provider: 'shopsurvey',
        secret: SECRET,
        headers: signed.headers,
        rawBody: Buffer.alloc(0),
        now: NOW,
      });
      expect(result.event).toBe('Session.Abandoned');
    });

    it('rejects any signed header changed after signing', () => {
      const signature = sign(SIGNED);
      for (const name of Object.keys(SIGNED)) {
        if (name.endsWith('ALGORITHM') || name.endsWith('SENT-AT')) continue;
        const headers = delivery({ ...SIGNED, [name]: `${SIGNED[name]}x` }, signature);
        expect(reasonOf(() => verify(headers))).toBe('invalid_signature');
      }
      const later = delivery({ ...SIGNED, 'X-SHOPSURVEY-WEBHOOK-SENT-AT': '2024-05-01T12:00:01.000Z' }, signature);
      expect(reasonOf(() => verify(later))).toBe('invalid_signature');
      const lowerCaseAlgorithm = delivery({ ...SIGNED, 'X-SHOPSURVEY-WEBHOOK-HMAC-ALGORITHM': 'sha256' }, signature);
      expect(reasonOf(() => verify(lowerCaseAlgorithm))).toBe('invalid_signature');
    });

    it('keeps the MESSAGE-ID across a retry whose ATTEMPT grows', () => {
      const retry = { ...SIGNED, 'X-SHOPSURVEY-WEBHOOK-ATTEMPT': '2', 'X-SHOPSURVEY-WEBHOOK-REQUEST-ID': 'req-8000' };
      expect(verify(delivery(retry)).deliveryId).toBe(verify(delivery(SIGNED)).deliveryId);
    });

    it('verifies with a rotation list where only the second secret matches', () => {
      expect(verify(delivery(SIGNED), { secret: ['retired', SECRET] }).deliveryId).toBe('msg-42');
      expect(reasonOf(() => verify(delivery(SIGNED), { secret: ['retired'] }))).toBe('invalid_signature');
    });
  });

  describe('the algorithm header is attacker-controlled: allow-list only', () => {
    it.each([
      ['MD5', 'md5'],
      ['md5', 'md5'],
      ['SHA1', 'sha1'],
      ['sha1', 'sha1'],
      ['SHA224', 'sha224'],
      ['SHA-256', 'sha256'],
      ['none', 'sha256'],
      ['', 'sha256'],
    ])('refuses %j even when the HMAC is honestly computed with it', (named, nodeAlgorithm) => {
      const signed = { ...SIGNED, 'X-SHOPSURVEY-WEBHOOK-HMAC-ALGORITHM': named };
      expect(reasonOf(() => verify(delivery(signed, sign(signed, nodeAlgorithm))))).toBe('unsupported_algorithm');
    });

    it('refuses a delivery without the algorithm header', () => {
      const signed = { ...SIGNED };
      delete signed['X-SHOPSURVEY-WEBHOOK-HMAC-ALGORITHM'];
      expect(reasonOf(() => verify(delivery(signed)))).toBe('unsupported_algorithm');
    });

    it.each([
      ['sha512', 'sha512'],
      ['SHA512', 'sha512'],
      ['SHA384', 'sha384'],
      ['Sha256', 'sha256'],
    ])('accepts %j, case-insensitively, with its own digest length', (named, nodeAlgorithm) => {
      const signed = { ...SIGNED, 'X-SHOPSURVEY-WEBHOOK-HMAC-ALGORITHM': named };
      expect(verify(delivery(signed, sign(signed, nodeAlgorithm))).deliveryId).toBe('msg-42');
      // A SHA-256-length signature under SHA512 is malformed.
      if (nodeAlgorithm !== 'sha256') {
        expect(reasonOf(() => verify(delivery(signed, sign(signed, 'sha256'))))).toBe('malformed_signature');
      }
    });
  });

  describe('SENT-AT and the replay window', () => {
    it.each([
      ['ISO 8601 UTC', '2024-05-01T12:00:00Z'],
      ['ISO 8601 with milliseconds', SENT_AT],
      ['ISO 8601 with an offset', '2024-05-01T14:00:00+02:00'],
      ['epoch seconds', '1714564800'],
      ['epoch milliseconds (13 digits)', '1714564800000'],
    ])('reads %s', (_label, sentAt) => {
      const signed = { ...SIGNED, 'X-SHOPSURVEY-WEBHOOK-SENT-AT': sentAt };
      expect(verify(delivery(signed)).timestamp).toEqual(NOW);
    });

    it.each([
      ['a word', 'yesterday'],
      ['a date without a time', '2024-05-01'],
      ['a local time without an offset', '2024-05-01T12:00:00'],
      ['an impossible date', '2024-13-45T12:00:00Z'],
      ['a negative number', '-5'],
      ['digits and letters', '12a'],
      ['an oversized number', '9'.repeat(40)],
    ])('rejects %s as malformed_timestamp', (_label, sentAt) => {
      const signed = { ...SIGNED, 'X-SHOPSURVEY-WEBHOOK-SENT-AT': sentAt };
      expect(reasonOf(() => verify(delivery(signed), { toleranceSeconds: 0 }))).toBe('malformed_timestamp');
    });

    it('rejects a SENT-AT outside the window, either side, and accepts it with the window off', () => {
      const headers = delivery(SIGNED);
      expect(reasonOf(() => verify(headers, { now: new Date(NOW.getTime() + 301_000) }))).toBe(
        'timestamp_out_of_window',
      );
      expect(reasonOf(() => verify(headers, { now: new Date(NOW.getTime() - 301_000) }))).toBe(
        'timestamp_out_of_window',
      );
      expect(verify(headers, { now: new Date(NOW.getTime() + 299_000) }).timestamp).toEqual(NOW);
      expect(verify(headers, { now: new Date('2030-01-01T00:00:00Z'), toleranceSeconds: 0 }).timestamp).toEqual(NOW);
    });

    it('needs SENT-AT while the window is on, not when it is off', () => {
      const signed = { ...SIGNED };
      delete signed['X-SHOPSURVEY-WEBHOOK-SENT-AT'];
      expect(reasonOf(() => verify(delivery(signed)))).toBe('missing_timestamp');
      expect(verify(delivery(signed), { toleranceSeconds: 0 })).toEqual({
        deliveryId: 'msg-42',
        event: 'Response.Created',
        timestamp: undefined,
      });
    });
  });

  describe('missing, empty and repeated headers', () => {
    it('rejects a missing or empty HMAC as missing_signature', () => {
      const headers = delivery(SIGNED);
      delete headers['x-shopsurvey-webhook-hmac'];
      expect(reasonOf(() => verify(headers))).toBe('missing_signature');
      expect(reasonOf(() => verify({ ...headers, 'x-shopsurvey-webhook-hmac': '' }))).toBe('missing_signature');
    });

    it('rejects a malformed HMAC as malformed_signature', () => {
      const signature = sign(SIGNED);
      for (const bad of [
        signature.slice(1),
        `${signature}ab`,
        'z'.repeat(64),
        Buffer.from(signature, 'hex').toString('base64'),
      ]) {
        expect(reasonOf(() => verify(delivery(SIGNED, bad)))).toBe('malformed_signature');
      }
    });

    it('rejects a missing or empty MESSAGE-ID as malformed_signature, even when honestly signed without it', () => {
      const signed = { ...SIGNED };
      delete signed['X-SHOPSURVEY-WEBHOOK-MESSAGE-ID'];
      expect(reasonOf(() => verify(delivery(signed)))).toBe('malformed_signature');
      const empty = { ...SIGNED, 'X-SHOPSURVEY-WEBHOOK-MESSAGE-ID': '' };
      expect(reasonOf(() => verify(delivery(empty)))).toBe('malformed_signature');
    });

    it.each(Object.keys(SIGNED).concat('X-SHOPSURVEY-WEBHOOK-HMAC'))(
      'rejects a duplicated %s as malformed_signature',
      (name) => {
        const headers: Record<string, string | string[]> = delivery(SIGNED);
        const value = headers[name.toLowerCase()] as string;
        headers[name.toLowerCase()] = [value, value];
        expect(reasonOf(() => verify(headers))).toBe('malformed_signature');
      },
    );
  });

  it('works through a WebhookVerifier used directly', () => {
    const verifier = new WebhookVerifier({ provider: 'shopsurvey', secret: SECRET, toleranceSeconds: 60 });
    const signed = verifier.sign({ id: 'msg-v', event: 'Survey.Updated', timestamp: NOW });
    expect(verifier.verify(signed.headers, signed.body, NOW)).toEqual({
      deliveryId: 'msg-v',
      event: 'Survey.Updated',
      timestamp: NOW,
    });
    expect(reasonOf(() => verifier.verify(signed.headers, signed.body, new Date(NOW.getTime() + 61_000)))).toBe(
      'timestamp_out_of_window',
    );
  });
});
