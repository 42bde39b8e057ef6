/**
 * Every reason a delivery can fail verification. A closed list: switch on it.
 *
 * - `missing_signature`: the signature header is absent or empty.
 * - `malformed_signature`: the signature header (or another header the sender
 *   must send, such as Standard Webhooks' `webhook-id`) is duplicated, not in the
 *   sender's encoding, or of the wrong length.
 * - `invalid_signature`: well formed, but no configured secret produces it.
 * - `missing_timestamp`: the sender's timestamp header is absent or empty.
 * - `malformed_timestamp`: the timestamp is not a number or date the sender writes.
 * - `timestamp_out_of_window`: the timestamp is further from now than the tolerance.
 * - `unsupported_algorithm`: the delivery names a hash algorithm outside the allow-list.
 * - `invalid_token`: Survicate's `Token` header is missing or wrong.
 */
export const WEBHOOK_VERIFICATION_REASONS = [
  'missing_signature',
  'malformed_signature',
  'invalid_signature',
  'missing_timestamp',
  'malformed_timestamp',
  'timestamp_out_of_window',
  'unsupported_algorithm',
  'invalid_token',
] as const;

/** One of {@link WEBHOOK_VERIFICATION_REASONS}. */
export type WebhookVerificationReason = (typeof WEBHOOK_VERIFICATION_REASONS)[number];

/**
 * Thrown when a delivery cannot be proven authentic. Its message is safe to log
 * and to send back: it never contains a secret or an expected signature.
 *
 * @example
 * ```ts
 * try {
 *   verifyWebhook({ provider: 'guuru', secret, headers, rawBody });
 * } catch (error) {
 *   if (error instanceof WebhookVerificationError && error.reason === 'invalid_signature') { ... }
 * }
 * ```
 */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';

  constructor(
    /** Why the delivery was refused. */
    readonly reason: WebhookVerificationReason,
    message: string,
  ) {
    super(message);
  }
}
