import { createHash, hash, type BinaryLike } from 'node:crypto';

/**
 * HMAC (RFC 2104) built from two one-shot hashes, for the small messages most webhooks are.
 *
 * `createHmac` costs about as much to set up as hashing a few kilobytes: a stream object, a
 * native context, a digest buffer with its own memory. `crypto.hash` hashes one buffer with
 * none of that. So for a message up to {@link ONE_SHOT_MAX_BYTES} this computes
 * `H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ message))` itself: the padded key and the message are written
 * into one reused buffer and hashed once, the inner digest after the outer pad and hashed
 * again. The result is byte for byte `createHmac`'s (the presets' tests check every sender
 * against its own SDK through it). Larger messages go through `createHmac`, whose set-up is
 * then small beside the hashing, rather than be copied.
 */

/** Messages (parts together) up to this size take the one-shot path. */
export const ONE_SHOT_MAX_BYTES = 16 * 1024;

type Algorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** Block sizes of the hash functions, which the key is padded to. */
const BLOCK_BYTES: Readonly<Record<Algorithm, number>> = { sha1: 64, sha256: 64, sha384: 128, sha512: 128 };
const LARGEST_BLOCK = 128;

/** A key padded for one hash function, and a copy of the key it was made from. */
interface Pads {
  readonly key: Buffer;
  /** `K ⊕ ipad`, one block. */
  readonly inner: Buffer;
  /** `K ⊕ opad`, one block. */
  readonly outer: Buffer;
}

/**
 * The pads of each key (a Buffer) per hash function, made on first use. The copy of the key is
 * compared on every use, so a key buffer changed by its owner afterwards gets new pads.
 */
const padsOfKeys = new WeakMap<Buffer, Partial<Record<Algorithm, Pads>>>();

/**
 * Where the inner hash's input is written: one buffer for the process, reused by every call.
 * Nothing here is asynchronous, so no two calls ever share it at once.
 */
const innerInput = Buffer.alloc(LARGEST_BLOCK + ONE_SHOT_MAX_BYTES);
const outerInput = Buffer.alloc(LARGEST_BLOCK + 64);

/**
 * HMAC of the concatenation of `parts` under `key` when they total at most
 * {@link ONE_SHOT_MAX_BYTES}; `undefined` otherwise (or when this Node has no `crypto.hash`),
 * for the caller to use `createHmac`.
 */
export function oneShotHmac(algorithm: Algorithm, key: Buffer, parts: readonly BinaryLike[]): Buffer | undefined {
  if (typeof hash !== 'function') return undefined;
  let length = 0;
  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index]!;
    length += typeof part === 'string' ? Buffer.byteLength(part, 'utf8') : part.byteLength;
    if (length > ONE_SHOT_MAX_BYTES) return undefined;
  }
  const pads = padsOf(algorithm, key);
  const block = pads.inner.length;
  pads.inner.copy(innerInput, 0);
  let at = block;
  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index]!;
    if (typeof part === 'string') at += innerInput.write(part, at, 'utf8');
    else at += bytesOf(part).copy(innerInput, at);
  }
  // 'binary' (latin1) strings: one character per byte, copied back without decoding.
  const innerDigest = hash(algorithm, innerInput.subarray(0, at), 'binary');
  innerInput.fill(0, 0, block);
  pads.outer.copy(outerInput, 0);
  const end = block + outerInput.write(innerDigest, block, 'latin1');
  const digest = hash(algorithm, outerInput.subarray(0, end), 'binary');
  // The shared buffers keep nothing derived from the key between calls.
  outerInput.fill(0, 0, block);
  return Buffer.from(digest, 'latin1');
}

function padsOf(algorithm: Algorithm, key: Buffer): Pads {
  let byAlgorithm = padsOfKeys.get(key);
  const known = byAlgorithm?.[algorithm];
  if (known && known.key.equals(key)) return known;
  const block = BLOCK_BYTES[algorithm];
  // A key longer than a block is hashed first (RFC 2104, 2).
  const shortKey = key.length > block ? createHash(algorithm).update(key).digest() : key;
  const inner = Buffer.alloc(block, 0x36);
  const outer = Buffer.alloc(block, 0x5c);
  for (let index = 0; index < shortKey.length; index += 1) {
    inner[index] = inner[index]! ^ shortKey[index]!;
    outer[index] = outer[index]! ^ shortKey[index]!;
  }
  const pads: Pads = { key: Buffer.from(key), inner, outer };
  if (!byAlgorithm) {
    byAlgorithm = {};
    padsOfKeys.set(key, byAlgorithm);
  }
  byAlgorithm[algorithm] = pads;
  return pads;
}

/** Any byte view as a Buffer over the same memory. */
function bytesOf(view: NodeJS.ArrayBufferView): Buffer {
  return Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}
