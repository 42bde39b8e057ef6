import { HttpException, HttpStatus } from '@nestjs/common';
import { WebhookPayloadError, type WebhookPayloadReason } from '../core/webhook-payload.error.js';
import { WebhookVerificationError, type WebhookVerificationReason } from '../core/webhook-verification.error.js';
import { WebhookDeliveryError, type WebhookDeliveryReason } from '../deliveries/webhook-delivery.error.js';
import { WebhookBodyError, type WebhookBodyReason } from '../http/webhook-body.error.js';
import {
  WebhookHandlerError,
  WebhookRoutingError,
  WebhookSecretResolutionError,
  type WebhookRoutingReason,
} from './webhooks.errors.js';

/** Every reason the module answers a delivery with something other than 200. */
export type WebhookRejectionReason =
  | WebhookVerificationReason
  | WebhookPayloadReason
  | WebhookBodyReason
  | WebhookRoutingReason
  | WebhookDeliveryReason
  | 'secret_resolver_failed'
  | 'handler_failed';

/** The one table from reason to HTTP status. */
const STATUS_BY_REASON: Readonly<Record<WebhookRejectionReason, HttpStatus>> = {
  missing_signature: HttpStatus.UNAUTHORIZED,
  malformed_signature: HttpStatus.UNAUTHORIZED,
  invalid_signature: HttpStatus.UNAUTHORIZED,
  missing_timestamp: HttpStatus.UNAUTHORIZED,
  malformed_timestamp: HttpStatus.UNAUTHORIZED,
  timestamp_out_of_window: HttpStatus.UNAUTHORIZED,
  unsupported_algorithm: HttpStatus.UNAUTHORIZED,
  invalid_token: HttpStatus.UNAUTHORIZED,
  unparseable_payload: HttpStatus.BAD_REQUEST,
  invalid_payload: HttpStatus.BAD_REQUEST,
  body_unreadable: HttpStatus.BAD_REQUEST,
  body_too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  raw_body_unavailable: HttpStatus.INTERNAL_SERVER_ERROR,
  unknown_source: HttpStatus.NOT_FOUND,
  unknown_tenant: HttpStatus.NOT_FOUND,
  secret_resolver_failed: HttpStatus.INTERNAL_SERVER_ERROR,
  method_not_allowed: HttpStatus.METHOD_NOT_ALLOWED,
  handler_failed: HttpStatus.INTERNAL_SERVER_ERROR,
  delivery_in_progress: HttpStatus.CONFLICT,
  delivery_store_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  delivery_queue_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

/** A module error that answers a delivery. */
export type WebhookRejectionError =
  | WebhookVerificationError
  | WebhookPayloadError
  | WebhookBodyError
  | WebhookRoutingError
  | WebhookDeliveryError
  | WebhookSecretResolutionError
  | WebhookHandlerError;

/** Whether `error` is one of the module's own rejections. */
export function isWebhookRejection(error: unknown): error is WebhookRejectionError {
  return (
    error instanceof WebhookVerificationError ||
    error instanceof WebhookPayloadError ||
    error instanceof WebhookBodyError ||
    error instanceof WebhookRoutingError ||
    error instanceof WebhookDeliveryError ||
    error instanceof WebhookSecretResolutionError ||
    error instanceof WebhookHandlerError
  );
}

/** The HTTP status a rejection answers with. */
export function statusOf(reason: WebhookRejectionReason): number {
  return STATUS_BY_REASON[reason];
}

/**
 * The HTTP answer to a rejection. The body names the reason; server-side failures
 * keep their details in the log, not in the answer.
 */
export function toHttpException(error: WebhookRejectionError): HttpException {
  const status = statusOf(error.reason);
  const message =
    error instanceof WebhookPayloadError && error.details.length > 0
      ? error.details
      : status >= 500
        ? 'The delivery could not be processed; see the application log.'
        : error.message;
  return new HttpException({ statusCode: status, reason: error.reason, message }, status, { cause: error });
}
