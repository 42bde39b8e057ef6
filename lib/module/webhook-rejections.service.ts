import { Injectable, Logger } from '@nestjs/common';
import { WEBHOOKS_LOGGER_CONTEXT } from './webhooks.constants.js';
import { WebhookHandlerError } from './webhooks.errors.js';
import { rejectionLine } from './webhooks.messages.js';
import { isWebhookRejection, statusOf, toHttpException } from './webhook-rejection.js';

/** Turns the module's errors into HTTP answers and writes the one log line each deserves. */
@Injectable()
export class WebhookRejections {
  private readonly logger = new Logger(WEBHOOKS_LOGGER_CONTEXT);

  /**
   * The exception to throw for `error`. The module's own errors become their HTTP
   * status with one log line; anything else is passed on untouched.
   */
  toException(error: unknown, source: string | undefined, deliveryId?: string): unknown {
    if (!isWebhookRejection(error)) return error;
    const status = statusOf(error.reason);
    // Handler failures were logged with their stack by the dispatcher.
    if (!(error instanceof WebhookHandlerError)) {
      const line = rejectionLine({ source, reason: error.reason, status, deliveryId, detail: error.message });
      if (status >= 500) this.logger.error(line);
      else this.logger.warn(line);
    }
    return toHttpException(error);
  }
}
