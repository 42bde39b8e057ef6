import type { WebhookErrorReason } from './webhook-reasons.js';

/**
 * The base of every error the library throws. `reason` is a code from a closed set, safe
 * to switch on, log and count; `message` says what to fix, and never contains a secret or
 * an expected signature.
 *
 * @example
 * ```ts
 * try {
 *   verifyWebhook({ provider: 'github', secret, headers, rawBody });
 * } catch (error) {
 *   if (error instanceof WebhookError) console.warn(error.reason, error.message);
 * }
 * ```
 */
export abstract class WebhookError<TReason extends WebhookErrorReason = WebhookErrorReason> extends Error {
  constructor(
    /** Why: one code of the closed set. */
    readonly reason: TReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
