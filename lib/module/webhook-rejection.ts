import { HttpException } from '@nestjs/common';
import {
  statusOfReason,
  WebhookError,
  WebhookPayloadError,
  type WebhookRejectionReason,
} from '../core/errors/index.js';

/** A library error that answers a delivery (every one but set-up mistakes). */
export type WebhookRejectionError = WebhookError<WebhookRejectionReason>;

/** Whether `error` is one of the library's own rejections of a delivery. */
export function isWebhookRejection(error: unknown): error is WebhookRejectionError {
  return (
    error instanceof WebhookError && error.reason !== 'invalid_configuration' && error.reason !== 'self_check_failed'
  );
}

/**
 * The HTTP answer to a rejection. The body names the reason; server-side failures keep
 * their details in the log, not in the answer.
 */
export function toHttpException(error: WebhookRejectionError): HttpException {
  const status = statusOfReason(error.reason);
  const message =
    error instanceof WebhookPayloadError && error.details.length > 0
      ? error.details
      : status >= 500
        ? 'The delivery could not be processed; see the application log.'
        : error.message;
  return new HttpException({ statusCode: status, reason: error.reason, message }, status, { cause: error });
}

export type { WebhookRejectionReason };
