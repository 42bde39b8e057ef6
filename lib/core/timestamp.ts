import { WebhookVerificationError } from './webhook-verification.error.js';

const DIGITS = /^\d+$/;
/** Date's own range: ±8.64e15 ms around the epoch. */
const MAX_EPOCH_MS = 8.64e15;

/**
 * Epoch digits as a Date: 13 or more digits are milliseconds, fewer are seconds
 * (seconds will not reach 13 digits before the year 33658).
 */
export function parseEpochTimestamp(text: string, header: string): Date {
  if (!DIGITS.test(text)) throw malformed(header);
  const value = Number(text);
  const ms = text.length >= 13 ? value : value * 1000;
  if (!Number.isSafeInteger(Math.trunc(ms)) || ms > MAX_EPOCH_MS) throw malformed(header);
  return new Date(ms);
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** ISO 8601 with an explicit offset (`Z` or `±hh:mm`), or epoch digits. */
export function parseIsoOrEpochTimestamp(text: string, header: string): Date {
  if (DIGITS.test(text)) return parseEpochTimestamp(text, header);
  if (!ISO_8601.test(text)) throw malformed(header);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw malformed(header);
  return new Date(ms);
}

/** Rejects a timestamp further than `toleranceSeconds` from `now`, in either direction. 0 turns the check off. */
export function assertWithinWindow(timestamp: Date, now: Date, toleranceSeconds: number): void {
  if (toleranceSeconds <= 0) return;
  const skewSeconds = Math.abs(now.getTime() - timestamp.getTime()) / 1000;
  if (skewSeconds > toleranceSeconds) {
    throw new WebhookVerificationError(
      'timestamp_out_of_window',
      `The delivery's timestamp is ${Math.round(skewSeconds)}s from now; at most ${toleranceSeconds}s is accepted.`,
    );
  }
}

function malformed(header: string): WebhookVerificationError {
  return new WebhookVerificationError('malformed_timestamp', `The ${header} header is not a valid timestamp.`);
}
