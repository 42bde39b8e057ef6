import { createHmac, hash, timingSafeEqual, type BinaryLike, type KeyObject } from 'node:crypto';
import { oneShotHmac } from './one-shot-hmac.js';

/**
 * The HMAC hash functions senders use. SHA-1 only because some senders still sign with it
 * (Twilio, Intercom, Vercel): their presets use it; `hmacProvider` does not accept it.
 */
export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** How a signature is written as text. */
export type SignatureEncoding = 'hex' | 'base64';

const DIGEST_BYTES: Record<HmacAlgorithm, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/** The length in bytes of an `algorithm` digest. */
export function digestLength(algorithm: HmacAlgorithm): number {
  return DIGEST_BYTES[algorithm];
}

/** HMAC of the concatenation of `parts`, without copying them into one buffer. */
export function hmac(algorithm: HmacAlgorithm, key: BinaryLike | KeyObject, ...parts: BinaryLike[]): Buffer {
  return hmacOfParts(algorithm, key, parts);
}

/**
 * {@link hmac} with the parts as one list: no rest-argument array per call. A Buffer key and up
 * to 16 KB of parts take the one-shot path of `one-shot-hmac.ts` (the same bytes, without
 * `createHmac`'s set-up cost); anything else streams through `createHmac`.
 */
export function hmacOfParts(
  algorithm: HmacAlgorithm,
  key: BinaryLike | KeyObject,
  parts: readonly BinaryLike[],
): Buffer {
  if (Buffer.isBuffer(key)) {
    const digest = oneShotHmac(algorithm, key, parts);
    if (digest) return digest;
  }
  const mac = createHmac(algorithm, key);
  for (let index = 0; index < parts.length; index += 1) mac.update(parts[index]!);
  return mac.digest();
}

/**
 * Constant-time equality of two byte strings. Unequal lengths are simply unequal
 * (Node's `timingSafeEqual` would throw); the length of a digest is public anyway.
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Where {@link binaryDigestEquals} puts a digest's bytes: reused, as nothing here is asynchronous. */
const DIGEST_SCRATCH = Buffer.alloc(64);

/**
 * Constant-time equality of `digest` and a digest written as a `'binary'` string (what
 * `crypto.hash(algorithm, data, 'binary')` returns): its bytes are copied into a reused buffer
 * instead of a new one, which `crypto.hash`'s `'buffer'` output would allocate outside the heap.
 */
export function binaryDigestEquals(digest: Uint8Array, binary: string): boolean {
  if (binary.length !== digest.length || binary.length > DIGEST_SCRATCH.length) return false;
  DIGEST_SCRATCH.write(binary, 0, 'latin1');
  return timingSafeEqual(DIGEST_SCRATCH.subarray(0, binary.length), digest);
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Strictly decodes `text` as `encoding`, expecting `length` bytes. `undefined` for
 * anything else: Node's own decoders silently skip bad characters, which would let
 * a malformed signature reach the comparison.
 */
export function decodeSignature(text: string, encoding: SignatureEncoding, length: number): Buffer | undefined {
  if (encoding === 'hex') {
    // Node's hex decoder reads only the low byte of a character beyond Latin-1: the pattern is what is strict.
    if (text.length !== length * 2 || !HEX.test(text)) return undefined;
    return Buffer.from(text, 'hex');
  }
  if (text.length !== Math.ceil(length / 3) * 4) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // One signature, one spelling: the bytes written back must be the text received. That refuses
  // what Node's decoder skips or reads loosely (other characters, base64url, misplaced padding)
  // and base64 with stray low bits, which would decode to the same bytes: no pattern is needed.
  if (bytes.length !== length || bytes.toString('base64') !== text) return undefined;
  return bytes;
}

/** Strict standard base64 (padded) to bytes, `undefined` when it is not. */
export function decodeBase64(text: string): Buffer | undefined {
  return text.length > 0 && BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
}

/**
 * A short, stable id derived from a signature, for senders that send no delivery id.
 * A digest rather than the signature itself, so it can be logged and shown without
 * handing out a valid signature. Where the signature covers a timestamp, a retry signed
 * again at another second gets another one: use {@link bodyDigestId} there.
 */
export function signatureDigestId(signature: Uint8Array): string {
  return digestId(signature);
}

/**
 * A short, stable id derived from what a sender sends again unchanged when it retries (its
 * body, for most), for senders that send no delivery id and sign a timestamp: a retry signed
 * again at another second keeps it, where the signature's digest would change. The same form
 * as {@link signatureDigestId}: the first 32 hex characters of a SHA-256. Two deliveries
 * with the same bytes get the same id, so use it only where a sender's distinct deliveries
 * never have identical bodies (an event id or time inside them).
 */
export function bodyDigestId(body: string | Uint8Array): string {
  return digestId(body);
}

function digestId(bytes: string | Uint8Array): string {
  // The one-shot `hash` (Node 20.12+): the same digest without a Hash object per call.
  return hash('sha256', bytes, 'hex').slice(0, 32);
}
