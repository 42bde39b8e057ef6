import { WebhookError } from './webhook.error.js';
import type { WebhookPayloadReason } from './webhook-reasons.js';

/** Thrown for a verified delivery whose body cannot be parsed or validated (HTTP 400). */
export class WebhookPayloadError extends WebhookError<WebhookPayloadReason> {
  constructor(
    reason: WebhookPayloadReason,
    message: string,
    /** One line per problem found, such as class-validator's constraint messages. */
    readonly details: readonly string[] = [],
  ) {
    super(reason, message);
  }
}
