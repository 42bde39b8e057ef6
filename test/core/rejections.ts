import { expect } from '@jest/globals';
import { WebhookVerificationError, type WebhookVerificationReason } from '../../lib/index.js';

/**
 * The WebhookVerificationError that `run` throws. Fails the test when nothing is
 * thrown or when anything else is (a TypeError, a RangeError, a plain Error).
 */
export function rejectionOf(run: () => unknown): WebhookVerificationError {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    return error as WebhookVerificationError;
  }
  throw new Error(`Expected a WebhookVerificationError, but the call returned ${JSON.stringify(result)}.`);
}

/** The reason of the WebhookVerificationError that `run` throws (see {@link rejectionOf}). */
export function reasonOf(run: () => unknown): WebhookVerificationReason {
  return rejectionOf(run).reason;
}

/**
 * For property tests: `true` when `run` throws a WebhookVerificationError, `false`
 * when it succeeds; any other error is re-thrown so the property fails loudly.
 */
export function isRejected(run: () => unknown): boolean {
  try {
    run();
    return false;
  } catch (error) {
    if (error instanceof WebhookVerificationError) return true;
    throw error;
  }
}

/** `text` with the character at `index` replaced by `replacement`. */
export function replaceCharAt(text: string, index: number, replacement: string): string {
  return `${text.slice(0, index)}${replacement}${text.slice(index + 1)}`;
}

/** A copy of `bytes` with the byte at `index` XORed with `mask` (1..255). */
export function flipByte(bytes: Uint8Array, index: number, mask: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = copy[index]! ^ mask;
  return copy;
}

/** A lower-case hex digit other than `digit` (by value), chosen by `pick`. */
export function otherHexDigit(digit: string, pick: number): string {
  const digits = '0123456789abcdef'.split('').filter((candidate) => candidate !== digit.toLowerCase());
  return digits[pick % digits.length]!;
}
