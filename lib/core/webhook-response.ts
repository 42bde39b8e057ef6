/** Options of a {@link WebhookResponse}. */
export interface WebhookResponseOptions {
  /** The HTTP status (default 200). */
  readonly status?: number;
  /** The content type of `body`. */
  readonly contentType?: string;
}

/**
 * An answer the sender reads: a handshake the module answers itself (Slack's
 * `url_verification` challenge, Discord's PING), a receipt a sender expects (Discord's 204),
 * or what a handler declared with `respond: true` returns (Discord's interaction response,
 * Twilio's TwiML). A responding handler may also return a plain object, which is sent as JSON.
 *
 * @example
 * ```ts
 * @WebhookHandler('twilio', { respond: true })
 * onMessage(message: TwilioMessage) {
 *   return WebhookResponse.xml('<Response><Message>Thanks!</Message></Response>');
 * }
 * ```
 */
export class WebhookResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The content type, when there is a body. */
  readonly contentType: string | undefined;

  constructor(
    /** The body as text; `undefined` for none. */
    readonly body: string | undefined,
    options: WebhookResponseOptions = {},
  ) {
    this.status = options.status ?? 200;
    this.contentType = options.contentType;
  }

  /** `value` as JSON (`application/json`). */
  static json(value: unknown, status = 200): WebhookResponse {
    return new WebhookResponse(JSON.stringify(value), { status, contentType: 'application/json; charset=utf-8' });
  }

  /** Plain text (`text/plain`). */
  static text(text: string, status = 200): WebhookResponse {
    return new WebhookResponse(text, { status, contentType: 'text/plain; charset=utf-8' });
  }

  /** XML such as Twilio's TwiML (`text/xml`). */
  static xml(xml: string, status = 200): WebhookResponse {
    return new WebhookResponse(xml, { status, contentType: 'text/xml; charset=utf-8' });
  }

  /** No body: `204 No Content` unless another status is given. */
  static empty(status = 204): WebhookResponse {
    return new WebhookResponse(undefined, { status });
  }
}
