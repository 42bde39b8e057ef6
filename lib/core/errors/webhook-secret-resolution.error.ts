import { WebhookError } from './webhook.error.js';
import type { WebhookSecretResolutionReason } from './webhook-reasons.js';

/**
 * Thrown when a source's secret resolver fails (HTTP 500, never mistaken for a bad
 * signature) or too many lookups are in flight (HTTP 503). The resolver's own error is on
 * `cause`; the message names its class only, since a resolver's message may quote a secret.
 */
export class WebhookSecretResolutionError extends WebhookError<WebhookSecretResolutionReason> {}
