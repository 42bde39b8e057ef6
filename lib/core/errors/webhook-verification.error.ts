import { WebhookError } from './webhook.error.js';
import type { WebhookVerificationReason } from './webhook-reasons.js';

/**
 * Thrown when a delivery cannot be proven authentic (HTTP 401). Its message is safe to
 * log and to send back: it never contains a secret or an expected signature.
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
export class WebhookVerificationError extends WebhookError<WebhookVerificationReason> {}
