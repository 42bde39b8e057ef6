import { WebhookVerificationError } from './errors/index.js';
import { timestampInvalid, timestampOutOfWindow } from './errors/webhook.messages.js';
import type { VerificationPolicy } from './webhook-provider.js';

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

/** Epoch seconds, whatever their number of digits (for senders that always write seconds). */
export function parseEpochSeconds(text: string, header: string): Date {
  if (!DIGITS.test(text) || text.length >= 13) throw malformed(header);
  return new Date(Number(text) * 1000);
}

/** Epoch milliseconds, whatever their number of digits (for senders that always write milliseconds). */
export function parseEpochMilliseconds(text: string, header: string): Date {
  if (!DIGITS.test(text)) throw malformed(header);
  const ms = Number(text);
  if (!Number.isSafeInteger(ms) || ms > MAX_EPOCH_MS) throw malformed(header);
  return new Date(ms);
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** ISO 8601 with an explicit offset (`Z` or `±hh:mm`), or epoch digits. */
export function parseIsoOrEpochTimestamp(text: string, header: string): Date {
  if (DIGITS.test(text)) return parseEpochTimestamp(text, header);
  return parseIsoTimestamp(text, header);
}

/** ISO 8601 (RFC 3339) with an explicit offset (`Z` or `±hh:mm`), fractions of a second up to nanoseconds. */
export function parseIsoTimestamp(text: string, header: string): Date {
  if (!ISO_8601.test(text)) throw malformed(header);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw malformed(header);
  return new Date(ms);
}

/** Options of {@link assertWithinWindow}. */
export interface WindowOptions {
  /**
   * Refuse only timestamps too far in the past, as Stripe's, Slack's and Paddle's own
   * verifiers do; a timestamp ahead of the clock is then accepted. Default: both directions.
   */
  readonly pastOnly?: boolean;
}

/**
 * Refuses a timestamp further than `policy.toleranceSeconds` from `policy.now` (in either
 * direction, unless `pastOnly`). A tolerance of 0 turns the check off.
 * @throws WebhookVerificationError `timestamp_out_of_window`.
 */
export function assertWithinWindow(timestamp: Date, policy: VerificationPolicy, options: WindowOptions = {}): void {
  if (policy.toleranceSeconds <= 0) return;
  const ageSeconds = (policy.now.getTime() - timestamp.getTime()) / 1000;
  const skewSeconds = options.pastOnly ? ageSeconds : Math.abs(ageSeconds);
  if (skewSeconds > policy.toleranceSeconds) {
    throw new WebhookVerificationError(
      'timestamp_out_of_window',
      timestampOutOfWindow(skewSeconds, policy.toleranceSeconds),
    );
  }
}

function malformed(header: string): WebhookVerificationError {
  return new WebhookVerificationError('malformed_timestamp', timestampInvalid(header));
}
