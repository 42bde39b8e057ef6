/** Why a request matched no configured source: `unknown_source` (404) or `method_not_allowed` (405). */
export type WebhookRoutingReason = 'unknown_source' | 'method_not_allowed';

/** Thrown when a request names no configured source, or uses a method its sender never uses. */
export class WebhookRoutingError extends Error {
  override readonly name = 'WebhookRoutingError';

  constructor(
    /** Why the request was not routed. */
    readonly reason: WebhookRoutingReason,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown when one or more handlers of a verified delivery failed (HTTP 500, so the sender retries). */
export class WebhookHandlerError extends AggregateError {
  override readonly name = 'WebhookHandlerError';
  /** Always `handler_failed`. */
  readonly reason = 'handler_failed' as const;

  constructor(
    /** Each handler's error. */
    errors: readonly unknown[],
    /** The delivery whose handlers failed. */
    readonly deliveryId: string,
  ) {
    super(errors, `${errors.length} webhook handler(s) failed for delivery ${deliveryId}.`);
  }
}
