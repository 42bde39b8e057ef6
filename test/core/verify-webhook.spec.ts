import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_TOLERANCE_SECONDS,
  hmacProvider,
  IncomingWebhook,
  signWebhook,
  verifyWebhook,
  WEBHOOK_VERIFICATION_REASONS,
  WebhookConfigurationError,
  WebhookVerificationError,
  WebhookVerifier,
  type WebhookVerificationReason,
} from '../../lib/index.js';
import { rejectionOf } from './rejections.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const BODY = Buffer.from('{"type":"order.created","id":1}', 'utf8');

function guuruHeaders(body: Buffer, secret = 'secret') {
  return { 'x-guuru-hmac-sha256': createHmac('sha256', secret).update(body).digest('hex') };
}

/** One delivery per reason, each refused for exactly that reason. */
const PROVOCATIONS: Record<WebhookVerificationReason, () => unknown> = {
  missing_signature: () => verifyWebhook({ provider: 'guuru', secret: 'secret', headers: {}, rawBody: BODY }),
  malformed_signature: () =>
    verifyWebhook({ provider: 'guuru', secret: 'secret', headers: { 'x-guuru-hmac-sha256': 'abc' }, rawBody: BODY }),
  invalid_signature: () =>
    verifyWebhook({ provider: 'guuru', secret: 'secret', headers: guuruHeaders(BODY, 'other'), rawBody: BODY }),
  missing_timestamp: () => {
    const signed = signWebhook({ provider: 'usersnap', secret: 'secret', payload: BODY, timestamp: NOW });
    const headers = { ...signed.headers, 'x-usersnap-timestamp': '' };
    return verifyWebhook({ provider: 'usersnap', secret: 'secret', headers, rawBody: signed.body, now: NOW });
  },
  malformed_timestamp: () => {
    const signed = signWebhook({
      provider: 'standard-webhooks',
      secret: 'whsec_c2VjcmV0',
      payload: BODY,
      timestamp: NOW,
    });
    const headers = { ...signed.headers, 'webhook-timestamp': '12a' };
    return verifyWebhook({
      provider: 'standard-webhooks',
      secret: 'whsec_c2VjcmV0',
      headers,
      rawBody: signed.body,
      now: NOW,
    });
  },
  timestamp_out_of_window: () => {
    const signed = signWebhook({
      provider: 'standard-webhooks',
      secret: 'whsec_c2VjcmV0',
      payload: BODY,
      timestamp: NOW,
    });
    const later = new Date(NOW.getTime() + (DEFAULT_TOLERANCE_SECONDS + 1) * 1000);
    return verifyWebhook({
      provider: 'standard-webhooks',
      secret: 'whsec_c2VjcmV0',
      headers: signed.headers,
      rawBody: signed.body,
      now: later,
    });
  },
  unsupported_algorithm: () => {
    const signed = signWebhook({ provider: 'shopsurvey', secret: 'secret', timestamp: NOW });
    const headers = { ...signed.headers, 'x-shopsurvey-webhook-hmac-algorithm': 'MD5' };
    return verifyWebhook({ provider: 'shopsurvey', secret: 'secret', headers, rawBody: signed.body, now: NOW });
  },
  invalid_token: () => {
    const signed = signWebhook({ provider: 'survicate', secret: 'secret', token: 'token', payload: BODY });
    const headers = { ...signed.headers, token: 'guess' };
    return verifyWebhook({ provider: 'survicate', secret: 'secret', token: 'token', headers, rawBody: signed.body });
  },
};

describe('verifyWebhook', () => {
  it('has exactly the eight documented reasons', () => {
    expect([...WEBHOOK_VERIFICATION_REASONS].sort()).toEqual(Object.keys(PROVOCATIONS).sort());
    expect(WEBHOOK_VERIFICATION_REASONS).toHaveLength(8);
  });

  it.each(WEBHOOK_VERIFICATION_REASONS.map((reason) => [reason]))(
    'provokes %s as a WebhookVerificationError',
    (reason) => {
      const error = rejectionOf(PROVOCATIONS[reason]);
      expect(error).toBeInstanceOf(WebhookVerificationError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('WebhookVerificationError');
      expect(error.reason).toBe(reason);
      expect(error.message.length).toBeGreaterThan(0);
    },
  );

  it('never puts the secret or the expected signature in the error message', () => {
    const secret = 'very-secret-value';
    const expected = createHmac('sha256', secret).update(BODY).digest('hex');
    const wrong = createHmac('sha256', 'x').update(BODY).digest('hex');
    const error = rejectionOf(() =>
      verifyWebhook({ provider: 'guuru', secret, headers: { 'x-guuru-hmac-sha256': wrong }, rawBody: BODY }),
    );
    expect(error.reason).toBe('invalid_signature');
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain(expected);
    expect(error.message).not.toContain(wrong);
  });

  it('keeps verifiers for different secrets apart', () => {
    const headers = guuruHeaders(BODY, 'first');
    expect(verifyWebhook({ provider: 'guuru', secret: 'first', headers, rawBody: BODY }).deliveryId).toMatch(
      /^[0-9a-f]{32}$/,
    );
    expect(
      rejectionOf(() => verifyWebhook({ provider: 'guuru', secret: 'second', headers, rawBody: BODY })).reason,
    ).toBe('invalid_signature');
    expect(
      rejectionOf(() => verifyWebhook({ provider: 'guuru', secret: ['second'], headers, rawBody: BODY })).reason,
    ).toBe('invalid_signature');
    expect(
      verifyWebhook({ provider: 'guuru', secret: ['second', 'first'], headers, rawBody: BODY }).deliveryId,
    ).toMatch(/^[0-9a-f]{32}$/);
  });

  it.each([
    ['an unknown provider name', { provider: 'no-such-sender' as 'guuru', secret: 'secret' }],
    ['no secret', { provider: 'guuru' as const }],
    ['an empty secret', { provider: 'guuru' as const, secret: '' }],
    ['an empty secret in a list', { provider: 'guuru' as const, secret: ['secret', ''] }],
    ['a negative toleranceSeconds', { provider: 'guuru' as const, secret: 'secret', toleranceSeconds: -1 }],
    ['a NaN toleranceSeconds', { provider: 'guuru' as const, secret: 'fresh-nan', toleranceSeconds: Number.NaN }],
    [
      'an infinite toleranceSeconds',
      { provider: 'guuru' as const, secret: 'fresh-infinity', toleranceSeconds: Number.POSITIVE_INFINITY },
    ],
  ])('throws WebhookConfigurationError for %s, not a verification error', (_label, options) => {
    const run = () => verifyWebhook({ ...options, headers: guuruHeaders(BODY), rawBody: BODY });
    expect(run).toThrow(WebhookConfigurationError);
    expect(run).not.toThrow(WebhookVerificationError);
  });

  it('refuses a NaN or infinite toleranceSeconds even after an earlier call with the same secret', () => {
    // The first call caches a verifier with the default window; the second must not reuse it.
    const refused: number[] = [];
    for (const toleranceSeconds of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const secret = `cached-${String(toleranceSeconds)}`;
      const headers = guuruHeaders(BODY, secret);
      expect(verifyWebhook({ provider: 'guuru', secret, headers, rawBody: BODY }).deliveryId).toMatch(/^[0-9a-f]{32}$/);
      try {
        verifyWebhook({ provider: 'guuru', secret, headers, rawBody: BODY, toleranceSeconds });
      } catch (error) {
        if (error instanceof WebhookConfigurationError) refused.push(toleranceSeconds);
      }
    }
    expect(refused).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });
});

describe('WebhookVerifier used directly', () => {
  it('verifies and signs with its secrets prepared once', () => {
    const verifier = new WebhookVerifier({ provider: 'standard-webhooks', secret: 'whsec_c2VjcmV0' });
    expect(verifier.provider.name).toBe('standard-webhooks');
    expect(verifier.toleranceSeconds).toBe(DEFAULT_TOLERANCE_SECONDS);
    const signed = verifier.sign({ payload: { type: 'order.created' }, id: 'msg_1', timestamp: NOW });
    expect(signed.body.toString('utf8')).toBe('{"type":"order.created"}');
    expect(verifier.verify(signed.headers, signed.body, NOW)).toEqual({
      deliveryId: 'msg_1',
      event: 'order.created',
      timestamp: NOW,
    });
    const tampered = Buffer.from('{"type":"order.deleted"}');
    expect(rejectionOf(() => verifier.verify(signed.headers, tampered, NOW)).reason).toBe('invalid_signature');
  });

  it('verifies a delivery already wrapped in an IncomingWebhook', () => {
    const verifier = new WebhookVerifier({ provider: 'survicate', secret: 'secret' });
    const body = Buffer.from('{"messageId":"m-1","event":{"surveyCompleted":{}}}');
    const delivery = new IncomingWebhook({ Hmac: createHmac('sha256', 'secret').update(body).digest('hex') }, body);
    expect(verifier.verifyDelivery(delivery)).toEqual({
      deliveryId: 'm-1',
      event: 'surveyCompleted',
      timestamp: undefined,
    });
  });

  it('accepts a Uint8Array view of the body (a slice of a larger buffer)', () => {
    const verifier = new WebhookVerifier({ provider: 'guuru', secret: 'secret' });
    const backing = Buffer.concat([Buffer.from('xxxx'), BODY, Buffer.from('yyyy')]);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 4, BODY.length);
    expect(verifier.verify(guuruHeaders(BODY), view as Buffer).deliveryId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('signs an object as JSON, a string as UTF-8 and bytes as they are', () => {
    const verifier = new WebhookVerifier({ provider: 'guuru', secret: 'secret' });
    expect(verifier.sign({ payload: { a: 'João' } }).body.toString('utf8')).toBe('{"a":"João"}');
    expect(verifier.sign({ payload: 'João' }).body).toEqual(Buffer.from('João', 'utf8'));
    expect(verifier.sign({ payload: Buffer.from([0, 255]) }).body).toEqual(Buffer.from([0, 255]));
    expect(verifier.sign({ payload: new Uint8Array([1, 2]) }).body).toEqual(Buffer.from([1, 2]));
    expect(verifier.sign().body).toHaveLength(0);
  });

  it('accepts toleranceSeconds 0 and refuses -1', () => {
    expect(new WebhookVerifier({ provider: 'guuru', secret: 'secret', toleranceSeconds: 0 }).toleranceSeconds).toBe(0);
    expect(() => new WebhookVerifier({ provider: 'guuru', secret: 'secret', toleranceSeconds: -1 })).toThrow(
      WebhookConfigurationError,
    );
  });

  it('takes a provider object such as hmacProvider returns', () => {
    const provider = hmacProvider({
      name: 'acme',
      signatureHeader: 'x-acme-signature',
      algorithm: 'sha256',
      encoding: 'hex',
    });
    const verifier = new WebhookVerifier({ provider, secret: 'secret', toleranceSeconds: 10 });
    expect(verifier.provider).toBe(provider);
    const headers = { 'X-Acme-Signature': createHmac('sha256', 'secret').update(BODY).digest('hex') };
    expect(verifier.verify(headers, BODY).deliveryId).toMatch(/^[0-9a-f]{32}$/);
  });
});
