import { describe, expect, it } from '@jest/globals';
import { HeaderReader, signWebhook, verifyWebhook } from '../../lib/index.js';
import { reasonOf } from './rejections.js';

describe('HeaderReader', () => {
  it('reads lower-case names in any case the headers were given', () => {
    const reader = new HeaderReader({ 'X-Usersnap-Signature': 'abc', 'x-other': 'def', 'CONTENT-TYPE': 'text/plain' });
    expect(reader.get('x-usersnap-signature')).toBe('abc');
    expect(reader.get('x-other')).toBe('def');
    expect(reader.get('content-type')).toBe('text/plain');
    expect(reader.get('absent')).toBeUndefined();
  });

  it('treats absent, empty and empty-array values as absent', () => {
    const reader = new HeaderReader({ empty: '', none: [], blank: [''], undef: undefined });
    for (const name of ['empty', 'none', 'blank', 'undef', 'absent']) {
      expect(reader.single(name, 'malformed_signature')).toBeUndefined();
      expect(reasonOf(() => reader.required(name, 'missing_signature', 'malformed_signature'))).toBe(
        'missing_signature',
      );
    }
  });

  it('unwraps an array of one value', () => {
    expect(new HeaderReader({ a: ['one'] }).single('a', 'malformed_signature')).toBe('one');
  });

  it('rejects a repeated header with the reason asked for', () => {
    const reader = new HeaderReader({ a: ['one', 'two'], b: ['', ''] });
    expect(reasonOf(() => reader.single('a', 'malformed_timestamp'))).toBe('malformed_timestamp');
    expect(reasonOf(() => reader.required('a', 'missing_signature', 'malformed_signature'))).toBe(
      'malformed_signature',
    );
    expect(reasonOf(() => reader.single('b', 'invalid_token'))).toBe('invalid_token');
  });

  it('rejects a non-string value handed in by other code without a TypeError', () => {
    const reader = new HeaderReader({ a: 42 as unknown as string, b: [7] as unknown as string[] });
    expect(reasonOf(() => reader.single('a', 'malformed_signature'))).toBe('malformed_signature');
    expect(reasonOf(() => reader.single('b', 'malformed_signature'))).toBe('malformed_signature');
  });

  it('treats one name given in two non-lower cases as a header sent twice', () => {
    const reader = new HeaderReader({ 'X-Sig': 'one', 'X-SIG': 'two' });
    expect(reader.get('x-sig')).toEqual(['one', 'two']);
    expect(reasonOf(() => reader.single('x-sig', 'malformed_signature'))).toBe('malformed_signature');
  });

  it('treats one name given in lower case and in another case as a header sent twice', () => {
    // The lower-case index says so ("the same name in two cases is the same header sent
    // twice"), but the exact lower-case lookup answers first and hides the other value.
    const reader = new HeaderReader({ 'x-sig': 'one', 'X-Sig': 'two' });
    expect(reasonOf(() => reader.single('x-sig', 'malformed_signature'))).toBe('malformed_signature');
  });
});

describe('headers at the verification boundary', () => {
  const signed = signWebhook({ provider: 'guuru', secret: 'secret', payload: '{"question":"hi"}' });
  const signature = signed.headers['x-guuru-hmac-sha256']!;
  const verify = (headers: Record<string, string | string[] | undefined>) => () =>
    verifyWebhook({ provider: 'guuru', secret: 'secret', headers, rawBody: signed.body });

  it.each([
    ['lower case', { 'x-guuru-hmac-sha256': signature }],
    ['title case', { 'X-Guuru-Hmac-Sha256': signature }],
    ['upper case', { 'X-GUURU-HMAC-SHA256': signature }],
    ['an array of one', { 'x-guuru-hmac-sha256': [signature] }],
  ])('accepts the signature header in %s', (_label, headers) => {
    expect(verify(headers)().deliveryId).toMatch(/^[0-9a-f]{32}$/);
  });

  it.each([
    ['absent', {}, 'missing_signature'],
    ['undefined', { 'x-guuru-hmac-sha256': undefined }, 'missing_signature'],
    ['empty', { 'x-guuru-hmac-sha256': '' }, 'missing_signature'],
    ['an empty array', { 'x-guuru-hmac-sha256': [] }, 'missing_signature'],
    ["['a', 'b']", { 'x-guuru-hmac-sha256': ['a', 'b'] }, 'malformed_signature'],
    ['twice, valid both times', { 'x-guuru-hmac-sha256': [signature, signature] }, 'malformed_signature'],
    ['in two cases', { 'X-Guuru-Hmac-Sha256': signature, 'X-GUURU-HMAC-SHA256': signature }, 'malformed_signature'],
  ])('rejects the signature header %s', (_label, headers, reason) => {
    expect(reasonOf(verify(headers))).toBe(reason);
  });
});
