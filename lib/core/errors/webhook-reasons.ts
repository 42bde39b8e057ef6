/**
 * Every reason code the library uses, in one place. A closed set: switch on it.
 * Each reason answers a delivery with the HTTP status `reason-status.ts` gives it.
 */

/**
 * Why a delivery failed verification (401):
 * - `missing_signature`: the signature header is absent or empty.
 * - `malformed_signature`: the signature header (or another header the sender must send,
 *   such as Standard Webhooks' `webhook-id`) is duplicated, not in the sender's encoding,
 *   or of the wrong length.
 * - `invalid_signature`: well formed, but no configured secret produces it (for senders
 *   that sign the URL, also: the URL the request reached is not the one signed).
 * - `missing_timestamp`: the sender's timestamp is absent or empty.
 * - `malformed_timestamp`: the timestamp is not a number or date the sender writes.
 * - `timestamp_out_of_window`: the timestamp is further from now than the tolerance.
 * - `unsupported_algorithm`: the delivery names a hash algorithm outside the allow-list.
 * - `invalid_token`: a token the sender sends in clear (Survicate's `Token`, GitLab's) is missing or wrong.
 */
export const WEBHOOK_VERIFICATION_REASONS = [
  'missing_signature',
  'malformed_signature',
  'invalid_signature',
  'missing_timestamp',
  'malformed_timestamp',
  'timestamp_out_of_window',
  'unsupported_algorithm',
  'invalid_token',
] as const;

/** One of {@link WEBHOOK_VERIFICATION_REASONS}. */
export type WebhookVerificationReason = (typeof WEBHOOK_VERIFICATION_REASONS)[number];

/**
 * Why a verified delivery's body could not become a payload (400): `unparseable_payload`
 * (not JSON, or a multipart body without its payload part) or `invalid_payload` (parsed,
 * but the handler's DTO refused it).
 */
export type WebhookPayloadReason = 'unparseable_payload' | 'invalid_payload';

/**
 * Why a request's body could not be had: `body_too_large` (413, over `maxBodyBytes`),
 * `raw_body_unavailable` (500, something parsed it before the module could see its bytes),
 * `body_unreadable` (400, the client aborted or the stream failed).
 */
export type WebhookBodyReason = 'body_too_large' | 'raw_body_unavailable' | 'body_unreadable';

/**
 * Why a request matched no configured source: `unknown_source` (404), `unknown_tenant`
 * (404: a tenant segment that is malformed, or that the source's secret resolver does
 * not know), or `method_not_allowed` (405).
 */
export type WebhookRoutingReason = 'unknown_source' | 'unknown_tenant' | 'method_not_allowed';

/**
 * Why a verified delivery could not be taken on, or a queued one could not be handled:
 * - `delivery_in_progress` (409): a copy is being handled right now; the sender retries later.
 * - `delivery_store_unavailable`, `delivery_queue_unavailable` (503): Redis did not answer.
 * - `delivery_store_full` (503): the memory store holds only deliveries that could still be
 *   replayed, so it cannot forget any to make room; the sender retries.
 * - `job_tampered`: a queued job whose content changed after it was accepted; it becomes a
 *   dead letter and never reaches a handler (no HTTP answer: it happens on a worker).
 */
export type WebhookDeliveryReason =
  | 'delivery_in_progress'
  | 'delivery_store_unavailable'
  | 'delivery_queue_unavailable'
  | 'delivery_store_full'
  | 'job_tampered';

/**
 * Why a source's secret resolver gave no answer: `secret_resolver_failed` (500: it threw
 * or rejected) or `secret_resolver_busy` (503: too many lookups in flight; the sender retries).
 */
export type WebhookSecretResolutionReason = 'secret_resolver_failed' | 'secret_resolver_busy';

/** A handler threw (500), so the sender (or the queue) tries again. */
export type WebhookHandlerReason = 'handler_failed';

/** Every reason the library answers a delivery with something other than its success answer. */
export type WebhookRejectionReason =
  | WebhookVerificationReason
  | WebhookPayloadReason
  | WebhookBodyReason
  | WebhookRoutingReason
  | WebhookDeliveryReason
  | WebhookSecretResolutionReason
  | WebhookHandlerReason;

/**
 * Reasons that never answer a delivery: `invalid_configuration` (a set-up mistake, raised at
 * start-up or at the call that is wrong) and `self_check_failed` (the start-up self-check found
 * the raw bytes altered or lost, with `selfCheck: 'fail'`).
 */
export type WebhookSetupReason = 'invalid_configuration' | 'self_check_failed';

/** Every reason code of every {@link WebhookError}. */
export type WebhookErrorReason = WebhookRejectionReason | WebhookSetupReason;

/**
 * What each reason means, in one sentence for the people who read logs and dashboards: the
 * statuses table of `docs/statuses.md` is written from this record and `WEBHOOK_REASON_STATUS`.
 */
export const WEBHOOK_REASON_DESCRIPTIONS: Readonly<Record<WebhookRejectionReason, string>> = {
  missing_signature: 'The signature header (or, for Mailgun, the signature in the body) is absent or empty.',
  malformed_signature:
    'The signature, or another header the sender must send (such as a delivery id), is repeated, ' +
    "not in the sender's encoding, or of the wrong length.",
  invalid_signature:
    'Well formed, but no configured secret in force produces it (for senders that sign the URL: or the URL differs).',
  missing_timestamp: "The sender's timestamp is absent or empty.",
  malformed_timestamp: 'The timestamp is not a number or date in the form the sender writes.',
  timestamp_out_of_window: 'The timestamp is further from now than the replay window allows.',
  unsupported_algorithm:
    'The delivery names a hash algorithm the preset does not accept (such as `sha1=` to Bitbucket).',
  invalid_token: "A token the sender sends in clear (GitLab's, Survicate's) is missing or wrong.",
  unparseable_payload: 'Verified, but the body is not JSON (or a multipart body lacks its payload part).',
  invalid_payload: "Verified and parsed, but a handler's DTO refused it (the answer lists class-validator's messages).",
  body_unreadable: 'The client closed the connection, or the stream failed, before the body was read.',
  body_too_large: 'The body is larger than `maxBodyBytes`.',
  raw_body_unavailable: 'Something parsed the body before the module could read its exact bytes (no `rawBody: true`).',
  unknown_source: 'No source is configured under the name in the URL.',
  unknown_tenant: "The tenant segment is malformed, or the source's secret resolver does not know it.",
  method_not_allowed: 'The sender never delivers with this HTTP method.',
  secret_resolver_failed: "The source's secret resolver threw, or answered secrets its sender cannot use.",
  secret_resolver_busy: 'Too many secret lookups of this source are in flight (`secretResolverConcurrency`).',
  handler_failed:
    'A handler threw; the sender (or the queue) tries again, and handlers that succeeded do not run again.',
  delivery_in_progress: 'A copy of this delivery is being handled right now; the sender tries again later.',
  delivery_store_unavailable: 'The delivery store (Redis) did not answer, so nothing is accepted that could be lost.',
  delivery_queue_unavailable: 'The queue (Redis) did not accept the delivery, or is closing.',
  delivery_store_full:
    'The memory store holds only deliveries that could still be replayed, so it cannot make room; the sender retries.',
  job_tampered:
    'A queued job whose seal does not match its content: it becomes a dead letter, no handler runs (no HTTP answer).',
};
