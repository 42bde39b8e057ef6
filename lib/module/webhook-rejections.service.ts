import { Injectable, Logger } from '@nestjs/common';
import type { WebhookHeaders } from '../core/headers.js';
import { WebhookEvents } from './webhook-events.js';
import { WebhookSources } from './webhook-sources.js';
import { isWebhookRejection, statusOf, toHttpException } from './webhook-rejection.js';
import { isInternalSource, WEBHOOKS_LOGGER_CONTEXT } from './webhooks.constants.js';
import { WebhookHandlerError } from './webhooks.errors.js';
import { rejectionLine } from './webhooks.messages.js';

/** What is known of a delivery when it is refused: the more, the later it is refused. */
export interface RejectionContext {
  /** The source the route names. */
  readonly source: string | undefined;
  readonly tenant?: string;
  readonly deliveryId?: string;
  readonly event?: string;
  readonly headers?: WebhookHeaders;
  readonly sensitiveHeaders?: readonly string[];
  readonly rawBody?: Buffer;
  readonly verifyMs?: number;
}

/**
 * Turns the module's errors into HTTP answers, writes the one log line each deserves,
 * and emits the `rejected` (or, for handler errors, `failed`) outcome.
 */
@Injectable()
export class WebhookRejections {
  private readonly logger = new Logger(WEBHOOKS_LOGGER_CONTEXT);

  constructor(
    private readonly events: WebhookEvents,
    private readonly sources: WebhookSources,
  ) {}

  /**
   * The exception to throw for `error`. The module's own errors become their HTTP
   * status with one log line; anything else is passed on untouched.
   */
  toException(error: unknown, context: RejectionContext): unknown {
    if (!isWebhookRejection(error)) return error;
    const status = statusOf(error.reason);
    const failed = error instanceof WebhookHandlerError;
    // The self-check reports its own findings; anyone else calling its name is logged like any request.
    if (isInternalSource(context.source) && this.sources.selfCheckRunning) return toHttpException(error);
    // Handler failures were logged with their stack by the dispatcher.
    if (!failed) {
      const line = rejectionLine({
        source: context.source,
        tenant: context.tenant,
        reason: error.reason,
        status,
        deliveryId: context.deliveryId,
        detail: error.message,
      });
      if (status >= 500) this.logger.error(line);
      else this.logger.warn(line);
    }
    this.events.emit({
      outcome: failed ? 'failed' : 'rejected',
      source: context.source ?? '',
      tenant: context.tenant,
      deliveryId: context.deliveryId,
      event: context.event,
      reason: error.reason,
      detail: error.message,
      status,
      durations: { verifyMs: context.verifyMs, ...(failed ? error.durations : {}) },
      handlers: failed ? error.runs : undefined,
      headers: context.headers,
      sensitiveHeaders: context.sensitiveHeaders,
      rawBody: context.rawBody,
    });
    return toHttpException(error);
  }
}
