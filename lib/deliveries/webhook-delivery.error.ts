/**
 * Why a verified delivery could not be taken on: `delivery_in_progress` (a copy is
 * being handled right now: 409, the sender retries later), `delivery_store_unavailable`
 * or `delivery_queue_unavailable` (Redis did not answer: 503, the sender retries).
 */
export type WebhookDeliveryReason =
  'delivery_in_progress' | 'delivery_store_unavailable' | 'delivery_queue_unavailable';

/** Thrown when a verified delivery cannot be claimed or queued. */
export class WebhookDeliveryError extends Error {
  override readonly name = 'WebhookDeliveryError';

  constructor(
    /** Why the delivery was not taken on. */
    readonly reason: WebhookDeliveryReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
