import { WebhookError } from './webhook.error.js';
import type { WebhookDeliveryReason } from './webhook-reasons.js';

/** Thrown when a verified delivery cannot be claimed, stored or queued, or a queued job cannot be trusted. */
export class WebhookDeliveryError extends WebhookError<WebhookDeliveryReason> {}
