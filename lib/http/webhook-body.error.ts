/**
 * Why a request's body could not be had: `body_too_large` (over `maxBodyBytes`),
 * `raw_body_unavailable` (something parsed it before the module could see its bytes),
 * `body_unreadable` (the client aborted or the stream failed).
 */
export type WebhookBodyReason = 'body_too_large' | 'raw_body_unavailable' | 'body_unreadable';

/** Thrown by an HTTP adapter when it cannot hand over a request's exact bytes. */
export class WebhookBodyError extends Error {
  override readonly name = 'WebhookBodyError';

  constructor(
    /** Why the body could not be read. */
    readonly reason: WebhookBodyReason,
    message: string,
  ) {
    super(message);
  }
}
