import { WebhookError } from './webhook.error.js';
import type { WebhookBodyReason } from './webhook-reasons.js';

/** Thrown by an HTTP adapter when it cannot hand over a request's exact bytes. */
export class WebhookBodyError extends WebhookError<WebhookBodyReason> {}
