import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  bodyDigestId,
  bytesEqual,
  decodeBase64,
  decodeSignature,
  digestLength,
  hmac,
  signatureDigestId,
} from '../../lib/core/crypto.js';

describe('crypto helpers', () => {
  it('knows the digest lengths', () => {
    expect([digestLength('sha256'), digestLength('sha384'), digestLength('sha512')]).toEqual([32, 48, 64]);
  });

  it('computes the HMAC of the concatenated parts', () => {
    const expected = createHmac('sha256', 'key').update('hello world').digest();
    expect(hmac('sha256', 'key', 'hello', Buffer.from(' '), new Uint8Array(Buffer.from('world')))).toEqual(expected);
    expect(hmac('sha256', Buffer.from('key'), 'hello world')).toEqual(expected);
  });

  it('compares bytes without throwing on unequal lengths', () => {
    expect(bytesEqual(Buffer.from('abc'), Buffer.from('abc'))).toBe(true);
    expect(bytesEqual(Buffer.from('abc'), Buffer.from('abd'))).toBe(false);
    expect(bytesEqual(Buffer.from('abc'), Buffer.from('abcd'))).toBe(false);
    expect(bytesEqual(Buffer.alloc(0), Buffer.alloc(32))).toBe(false);
  });

  describe('decodeSignature', () => {
    const bytes = createHmac('sha256', 'k').update('m').digest();

    it('decodes hex and base64 of the expected length', () => {
      expect(decodeSignature(bytes.toString('hex'), 'hex', 32)).toEqual(bytes);
      expect(decodeSignature(bytes.toString('base64'), 'base64', 32)).toEqual(bytes);
      const long = createHmac('sha512', 'k').update('m').digest();
      expect(decodeSignature(long.toString('base64'), 'base64', 64)).toEqual(long);
      expect(decodeSignature(long.toString('hex'), 'hex', 64)).toEqual(long);
    });

    it.each([
      ['odd-length hex', bytes.toString('hex').slice(1), 'hex'],
      ['short hex', bytes.toString('hex').slice(2), 'hex'],
      ['long hex', `${bytes.toString('hex')}00`, 'hex'],
      ['non-hex characters', `${bytes.toString('hex').slice(2)}zz`, 'hex'],
      ['hex with a space', ` ${bytes.toString('hex').slice(1)}`, 'hex'],
      ['empty text', '', 'hex'],
      ['unpadded base64', bytes.toString('base64').replace(/=+$/, ''), 'base64'],
      ['base64url', bytes.toString('base64url'), 'base64'],
      ['base64 with a bad character', `*${bytes.toString('base64').slice(1)}`, 'base64'],
      ['base64 of the wrong length', Buffer.alloc(33).toString('base64'), 'base64'],
      [
        'base64 with padding in the middle',
        `${bytes.toString('base64').slice(0, 20)}=${bytes.toString('base64').slice(21)}`,
        'base64',
      ],
      ['hex given as base64', bytes.toString('hex'), 'base64'],
    ] as const)('refuses %s', (_label, text, encoding) => {
      expect(decodeSignature(text, encoding, 32)).toBeUndefined();
    });

    it('refuses non-canonical base64 (unused low bits set in the last character)', () => {
      // 32 bytes take 43 characters and "="; the last character carries 2 unused bits.
      // Node decodes both texts to the same bytes, so a lenient check would accept
      // several different signature texts for one signature.
      const canonical = bytes.toString('base64');
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      const last = alphabet.indexOf(canonical[42]!);
      const nonCanonical = `${canonical.slice(0, 42)}${alphabet[last ^ 1]}=`;
      expect(Buffer.from(nonCanonical, 'base64')).toEqual(bytes);
      expect(decodeSignature(nonCanonical, 'base64', 32)).toBeUndefined();
    });
  });

  describe('decodeBase64', () => {
    it('decodes strict padded base64 and refuses anything else', () => {
      expect(decodeBase64(Buffer.from('secret').toString('base64'))).toEqual(Buffer.from('secret'));
      expect(decodeBase64('')).toBeUndefined();
      expect(decodeBase64('c2VjcmV0')).toEqual(Buffer.from('secret'));
      expect(decodeBase64('c2VjcmV')).toBeUndefined();
      expect(decodeBase64('c2Vj cmV0')).toBeUndefined();
      expect(decodeBase64('c2VjcmV0_-')).toBeUndefined();
    });
  });

  describe('signatureDigestId', () => {
    it('is the first 32 hex digits of the SHA-256 of the signature bytes, never the signature', () => {
      const signature = createHmac('sha256', 'k').update('m').digest();
      const id = signatureDigestId(signature);
      expect(id).toBe(createHash('sha256').update(signature).digest('hex').slice(0, 32));
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(signature.toString('hex')).not.toContain(id);
      expect(signatureDigestId(Buffer.from(signature))).toBe(id);
      expect(signatureDigestId(createHmac('sha256', 'k').update('n').digest())).not.toBe(id);
    });
  });

  describe('bodyDigestId', () => {
    it('is the first 32 hex digits of the SHA-256 of the bytes (a string as UTF-8), the same form as signatureDigestId', () => {
      const body = '{"name":"João"}';
      const id = bodyDigestId(Buffer.from(body, 'utf8'));
      expect(id).toBe(createHash('sha256').update(body, 'utf8').digest('hex').slice(0, 32));
      expect(bodyDigestId(body)).toBe(id);
      expect(bodyDigestId(new Uint8Array(Buffer.from(body, 'utf8')))).toBe(id);
      expect(bodyDigestId('{"name":"Joao"}')).not.toBe(id);
    });
  });
});
