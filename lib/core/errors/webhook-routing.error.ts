import { WebhookError } from './webhook.error.js';
import type { WebhookRoutingReason } from './webhook-reasons.js';

/** Thrown when a request names no configured source or tenant, or uses a method its sender never uses. */
export class WebhookRoutingError extends WebhookError<WebhookRoutingReason> {}
