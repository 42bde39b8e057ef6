import type { WebhookRejectionReason } from './webhook-reasons.js';

/**
 * The one table from reason to HTTP status. 200 is never in it: senders retry on anything
 * but success, so every refusal is one they can act on (4xx: do not retry as is; 5xx, 409: retry).
 */
export const WEBHOOK_REASON_STATUS: Readonly<Record<WebhookRejectionReason, number>> = {
  missing_signature: 401,
  malformed_signature: 401,
  invalid_signature: 401,
  missing_timestamp: 401,
  malformed_timestamp: 401,
  timestamp_out_of_window: 401,
  unsupported_algorithm: 401,
  invalid_token: 401,
  unparseable_payload: 400,
  invalid_payload: 400,
  body_unreadable: 400,
  body_too_large: 413,
  raw_body_unavailable: 500,
  unknown_source: 404,
  unknown_tenant: 404,
  method_not_allowed: 405,
  secret_resolver_failed: 500,
  secret_resolver_busy: 503,
  handler_failed: 500,
  delivery_in_progress: 409,
  delivery_store_unavailable: 503,
  delivery_queue_unavailable: 503,
  delivery_store_full: 503,
  job_tampered: 500,
};

/** The HTTP status a rejection answers with. */
export function statusOfReason(reason: WebhookRejectionReason): number {
  return WEBHOOK_REASON_STATUS[reason];
}
