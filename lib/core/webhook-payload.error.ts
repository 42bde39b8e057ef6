/**
 * Why a verified delivery's body could not become a payload:
 * `unparseable_payload` (not JSON, or a multipart body without its payload part)
 * or `invalid_payload` (parsed, but the handler's DTO rejected it).
 */
export type WebhookPayloadReason = 'unparseable_payload' | 'invalid_payload';

/** Thrown for a verified delivery whose body cannot be parsed or validated (HTTP 400). */
export class WebhookPayloadError extends Error {
  override readonly name = 'WebhookPayloadError';

  constructor(
    /** Why the payload was refused. */
    readonly reason: WebhookPayloadReason,
    message: string,
    /** One line per problem found, such as class-validator's constraint messages. */
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}
