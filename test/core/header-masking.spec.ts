import { describe, expect, it } from '@jest/globals';
import { isSensitiveHeader, MASKED_HEADER_VALUE, maskHeaders } from '../../lib/index.js';

describe('header masking', () => {
  const gitlab = {
    sensitive: ['x-gitlab-token'],
    declared: ['idempotency-key', 'x-gitlab-event', 'x-gitlab-event-uuid'],
  };

  it("masks the sender's signature and token headers, whatever they are called", () => {
    expect(isSensitiveHeader('X-Gitlab-Token', gitlab)).toBe(true);
    expect(isSensitiveHeader('x-guuru-hmac-sha256', { sensitive: ['x-guuru-hmac-sha256'] })).toBe(true);
  });

  it('masks anything named like a credential that the sender did not declare', () => {
    for (const name of [
      'authorization',
      'cookie',
      'x-api-key',
      'x-internal-token',
      'x-session-id',
      'proxy-authorization',
    ]) {
      expect(isSensitiveHeader(name, gitlab)).toBe(true);
    }
    expect(isSensitiveHeader('idempotency-key', { sensitive: [] })).toBe(true);
  });

  it('keeps the headers a sender declares as its own, even when named like a credential', () => {
    expect(isSensitiveHeader('Idempotency-Key', gitlab)).toBe(false);
    expect(
      isSensitiveHeader('x-signature-timestamp', {
        sensitive: ['x-signature-ed25519'],
        declared: ['x-signature-timestamp'],
      }),
    ).toBe(false);
    // Declared and sensitive at once: sensitive wins.
    expect(isSensitiveHeader('x-gitlab-token', { sensitive: ['x-gitlab-token'], declared: ['x-gitlab-token'] })).toBe(
      true,
    );
  });

  it('masks a copy and leaves the request’s headers untouched', () => {
    const headers = {
      'x-gitlab-token': 's3cret',
      'idempotency-key': 'k-1',
      cookie: 'a=b',
      'content-type': 'application/json',
    };
    expect(maskHeaders(headers, gitlab)).toEqual({
      'x-gitlab-token': MASKED_HEADER_VALUE,
      'idempotency-key': 'k-1',
      cookie: MASKED_HEADER_VALUE,
      'content-type': 'application/json',
    });
    expect(headers['x-gitlab-token']).toBe('s3cret');
  });

  it('leaves out a header without a value, in a copy of its own', () => {
    const headers = { 'x-gitlab-token': 's3cret', 'x-absent': undefined, accept: '*/*' };
    const masked = maskHeaders(headers, gitlab);
    expect(Object.keys(masked)).toEqual(['x-gitlab-token', 'accept']);
    expect(Object.keys(headers)).toEqual(['x-gitlab-token', 'x-absent', 'accept']);
    expect(masked).not.toBe(headers);
  });

  it('copies a header named __proto__ as a header, never as the copy’s prototype', () => {
    const headers = JSON.parse('{"__proto__": ["x"], "x-gitlab-token": "s3cret"}') as Record<string, string[]>;
    const masked = maskHeaders(headers, gitlab);
    expect(Object.keys(masked)).toEqual(['__proto__', 'x-gitlab-token']);
    expect(Object.getPrototypeOf(masked)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(masked, '__proto__')?.value).toEqual(['x']);
    expect(masked['x-gitlab-token']).toBe(MASKED_HEADER_VALUE);
  });

  it('leaves out keys that are symbols: they are no headers (HTTP/2 keeps its list of sensitive names under one)', () => {
    const hidden = Symbol('sensitive');
    const headers = { [hidden]: ['authorization'], accept: '*/*' };
    const masked = maskHeaders(headers, gitlab);
    expect(Object.getOwnPropertySymbols(masked)).toEqual([]);
    expect(masked).toEqual({ accept: '*/*' });
  });

  it('judges every name alike after a flood of new names (verdicts are remembered only up to a bound)', () => {
    const sender = { sensitive: ['x-gitlab-token'], declared: ['idempotency-key'] };
    for (let index = 0; index < 5_000; index += 1) {
      expect(isSensitiveHeader(`x-flood-${index}`, sender)).toBe(false);
      expect(isSensitiveHeader(`x-flood-${index}-secret`, sender)).toBe(true);
    }
    expect(isSensitiveHeader('x-gitlab-token', sender)).toBe(true);
    expect(isSensitiveHeader('idempotency-key', sender)).toBe(false);
    expect(isSensitiveHeader('x-api-key', sender)).toBe(true);
    // The same name judged for another sender is judged by that sender's lists.
    expect(isSensitiveHeader('idempotency-key', { sensitive: ['idempotency-key'] })).toBe(true);
  });
});
