import { describe, expect, it } from '@jest/globals';
import { WebhookConfigurationError, WebhookVerificationError, WebhookVerifier } from '../../lib/index.js';

describe('secrets with notAfter', () => {
  const endsAt = new Date('2026-06-01T12:00:00Z');
  const verifier = new WebhookVerifier({
    provider: 'guuru',
    secret: ['current-secret', { value: 'retiring-secret', notAfter: endsAt }],
    toleranceSeconds: 0,
  });
  const signedWith = (secret: string) =>
    new WebhookVerifier({ provider: 'guuru', secret }).sign({ payload: { question: 'hi' } });
  const verifyAt = (secret: string, at: Date) => {
    const { headers, body } = signedWith(secret);
    return verifier.verify(headers, body, at);
  };

  it('accepts the retiring secret until its notAfter, and refuses it from then on', () => {
    expect(() => verifyAt('retiring-secret', new Date(endsAt.getTime() - 1))).not.toThrow();
    expect(() => verifyAt('retiring-secret', endsAt)).toThrow(WebhookVerificationError);
    // Back before the end (a delivery checked with an earlier clock) it is accepted again.
    expect(() => verifyAt('retiring-secret', new Date(endsAt.getTime() - 1000))).not.toThrow();
  });

  it('keeps accepting the secret without an end', () => {
    expect(() => verifyAt('current-secret', new Date(endsAt.getTime() + 86_400_000))).not.toThrow();
  });

  it('refuses every delivery once every secret has ended, naming why', () => {
    const ended = new WebhookVerifier({ provider: 'guuru', secret: { value: 'old-secret', notAfter: endsAt } });
    const { headers, body } = signedWith('old-secret');
    expect(() => ended.verify(headers, body, endsAt)).toThrow(/past its notAfter/);
    expect(() => ended.sign({ payload: {}, timestamp: endsAt })).toThrow(WebhookConfigurationError);
  });

  it('rejects a notAfter that is not a valid date at configuration time', () => {
    expect(
      () => new WebhookVerifier({ provider: 'guuru', secret: { value: 'x-secret', notAfter: new Date('nonsense') } }),
    ).toThrow(/notAfter must be a valid Date/);
    expect(() => new WebhookVerifier({ provider: 'guuru', secret: { value: 'x-secret', notAfter: 'soon' } })).toThrow(
      /notAfter must be a valid Date or ISO 8601 string/,
    );
  });

  it('takes an ISO 8601 string, as a resolver reading JSON has it', () => {
    const fromJson = new WebhookVerifier({
      provider: 'guuru',
      secret: { value: 'retiring-secret', notAfter: endsAt.toISOString() },
    });
    const { headers, body } = signedWith('retiring-secret');
    expect(() => fromJson.verify(headers, body, new Date(endsAt.getTime() - 1))).not.toThrow();
    expect(() => fromJson.verify(headers, body, endsAt)).toThrow(/past its notAfter/);
  });
});
