import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  BUILT_IN_PROVIDERS,
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
  WebhookVerifier,
} from '../../lib/index.js';
import type { WebhookHeaders } from '../../lib/index.js';
import { reasonOf } from '../core/rejections.js';

const SECRET = 'survicate-signing-secret';
const TOKEN = 'survicate-verification-token';

const QUESTION_ANSWERED = `{"messageId":"9d1c6a52-5b1e-4b0e-9d5e-2f1c1f0b7a11","deliveryTries":0,"event":{"questionAnswered":{"survey":{"id":"a1b2","name":"NPS"},"url":"https://shop.example/checkout","timestamp":"2024-05-01T12:00:00Z","respondent":{"id":"r-1","platform":"web","userAgent":"Mozilla/5.0","attributes":{"name":"Jo\u00e3o"}},"question":{"id":1,"body":"How likely are you to recommend us?"},"choice":{"id":10,"body":"10","comment":"great"}}}}`;
const SURVEY_COMPLETED = `{"messageId":"msg-2","deliveryTries":1,"event":{"surveyCompleted":{"survey":{"id":"a1b2","name":"NPS"},"answers":[]}}}`;

/** What the seed asks for: hash_hmac(sha256, $body, $signing_secret), lowercase hex. */
function phpHmac(body: string | Buffer, secret = SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function verify(
  headers: WebhookHeaders,
  body: string | Buffer,
  credentials: { secret?: string | string[]; token?: string } = {},
) {
  const { secret, token } = { secret: SECRET, token: TOKEN, ...credentials };
  return verifyWebhook({ provider: 'survicate', secret, token, headers, rawBody: Buffer.from(body) });
}

describe('survicate provider', () => {
  describe('secret and token', () => {
    it('verifies a hand-computed Hmac header with the Token, id from messageId, event from the single key of event', () => {
      const result = verify({ Hmac: phpHmac(QUESTION_ANSWERED), Token: TOKEN }, QUESTION_ANSWERED);
      expect(result).toEqual({
        deliveryId: '9d1c6a52-5b1e-4b0e-9d5e-2f1c1f0b7a11',
        event: 'questionAnswered',
        timestamp: undefined,
      });
    });

    it('round-trips signWebhook then verifyWebhook for surveyCompleted', () => {
      const signed = signWebhook({ provider: 'survicate', secret: SECRET, token: TOKEN, payload: SURVEY_COMPLETED });
      expect(signed.headers).toEqual({
        'content-type': 'application/json',
        hmac: phpHmac(SURVEY_COMPLETED),
        token: TOKEN,
      });
      const result = verify(signed.headers, signed.body);
      expect(result).toEqual({ deliveryId: 'msg-2', event: 'surveyCompleted', timestamp: undefined });
    });

    it('checks the token as well as the Hmac', () => {
      const hmac = phpHmac(QUESTION_ANSWERED);
      expect(reasonOf(() => verify({ hmac, token: 'wrong-token' }, QUESTION_ANSWERED))).toBe('invalid_token');
      expect(reasonOf(() => verify({ hmac, token: `${TOKEN}x` }, QUESTION_ANSWERED))).toBe('invalid_token');
      expect(reasonOf(() => verify({ hmac }, QUESTION_ANSWERED))).toBe('invalid_token');
      expect(reasonOf(() => verify({ hmac, token: '' }, QUESTION_ANSWERED))).toBe('invalid_token');
      expect(reasonOf(() => verify({ hmac, token: [TOKEN, TOKEN] }, QUESTION_ANSWERED))).toBe('invalid_token');
    });

    it('checks the Hmac as well as the token', () => {
      expect(reasonOf(() => verify({ token: TOKEN }, QUESTION_ANSWERED))).toBe('missing_signature');
      expect(
        reasonOf(() => verify({ hmac: phpHmac(QUESTION_ANSWERED, 'other'), token: TOKEN }, QUESTION_ANSWERED)),
      ).toBe('invalid_signature');
      expect(reasonOf(() => verify({ hmac: phpHmac(QUESTION_ANSWERED), token: TOKEN }, SURVEY_COMPLETED))).toBe(
        'invalid_signature',
      );
    });

    it('rejects malformed Hmac headers', () => {
      const hmac = phpHmac(QUESTION_ANSWERED);
      for (const bad of [hmac.slice(1), `${hmac}0`, 'x'.repeat(64), ['a', 'b'], [hmac, hmac]]) {
        expect(reasonOf(() => verify({ hmac: bad, token: TOKEN }, QUESTION_ANSWERED))).toBe('malformed_signature');
      }
    });

    it('verifies with the Hmac alone when no token is configured (a Token header is then ignored)', () => {
      const hmac = phpHmac(QUESTION_ANSWERED);
      const withoutToken = verifyWebhook({
        provider: 'survicate',
        secret: SECRET,
        headers: { hmac },
        rawBody: Buffer.from(QUESTION_ANSWERED),
      });
      expect(withoutToken.event).toBe('questionAnswered');
      const strayToken = verifyWebhook({
        provider: 'survicate',
        secret: SECRET,
        headers: { hmac, token: 'anything' },
        rawBody: Buffer.from(QUESTION_ANSWERED),
      });
      expect(strayToken.deliveryId).toBe('9d1c6a52-5b1e-4b0e-9d5e-2f1c1f0b7a11');
    });

    it('verifies with a rotation list where only the second secret matches', () => {
      const result = verify({ hmac: phpHmac(QUESTION_ANSWERED), token: TOKEN }, QUESTION_ANSWERED, {
        secret: ['retired', SECRET],
      });
      expect(result.event).toBe('questionAnswered');
    });
  });

  describe('token only', () => {
    const tokenOnly = new WebhookVerifier({ provider: 'survicate', token: TOKEN });

    it('verifies with the Token header and no Hmac header at all', () => {
      const result = tokenOnly.verify({ Token: TOKEN }, Buffer.from(QUESTION_ANSWERED));
      expect(result).toEqual({
        deliveryId: '9d1c6a52-5b1e-4b0e-9d5e-2f1c1f0b7a11',
        event: 'questionAnswered',
        timestamp: undefined,
      });
    });

    it('rejects a wrong or missing Token', () => {
      expect(reasonOf(() => tokenOnly.verify({ token: 'nope' }, Buffer.from(QUESTION_ANSWERED)))).toBe('invalid_token');
      expect(reasonOf(() => tokenOnly.verify({}, Buffer.from(QUESTION_ANSWERED)))).toBe('invalid_token');
      expect(
        reasonOf(() => tokenOnly.verify({ hmac: phpHmac(QUESTION_ANSWERED) }, Buffer.from(QUESTION_ANSWERED))),
      ).toBe('invalid_token');
    });

    it('signs with the Token header only', () => {
      const signed = tokenOnly.sign({ payload: SURVEY_COMPLETED });
      expect(signed.headers).toEqual({ 'content-type': 'application/json', token: TOKEN });
      expect(tokenOnly.verify(signed.headers, signed.body).event).toBe('surveyCompleted');
    });

    it('warns about token-only credentials and not about a signing secret', () => {
      const survicate = BUILT_IN_PROVIDERS.survicate;
      expect(survicate.credentialWarnings?.({ secrets: [], token: TOKEN })).toHaveLength(1);
      expect(survicate.credentialWarnings?.({ secrets: [SECRET], token: TOKEN })).toEqual([]);
    });
  });

  it('refuses a configuration with neither a secret nor a token', () => {
    const headers = { hmac: phpHmac(QUESTION_ANSWERED), token: TOKEN };
    const rawBody = Buffer.from(QUESTION_ANSWERED);
    expect(() => verifyWebhook({ provider: 'survicate', headers, rawBody })).toThrow(WebhookConfigurationError);
    expect(() => verifyWebhook({ provider: 'survicate', token: '', headers, rawBody })).toThrow(
      WebhookConfigurationError,
    );
    expect(() => new WebhookVerifier({ provider: 'survicate' })).toThrow(WebhookConfigurationError);
    expect(() => new WebhookVerifier({ provider: 'survicate', secret: [] })).toThrow(WebhookConfigurationError);
  });

  describe('delivery id and event from the body', () => {
    it('uses a numeric messageId as text', () => {
      const body = '{"messageId":42,"event":{"questionAnswered":{}}}';
      expect(verify({ hmac: phpHmac(body), token: TOKEN }, body).deliveryId).toBe('42');
    });

    it('falls back to a digest of the signature without a messageId, and has no event unless event has one key', () => {
      for (const body of ['{"event":{"a":{},"b":{}}}', '{"messageId":"","event":{}}', 'not json', '']) {
        const hmac = phpHmac(body);
        const result = verify({ hmac, token: TOKEN }, body);
        expect(result.deliveryId).toBe(
          createHash('sha256').update(Buffer.from(hmac, 'hex')).digest('hex').slice(0, 32),
        );
        expect(hmac).not.toContain(result.deliveryId);
        expect(result.event).toBeUndefined();
      }
    });
  });
});
