import type { WebhookHeaders } from '../core/headers.js';

/**
 * The seam between the module and an HTTP platform. Everything that touches the platform's
 * request or response lives behind it, so Express and Fastify differ only here. Every
 * delivery passes through it: its methods read the request as it is, building nothing.
 */
export interface WebhookHttpAdapter {
  /** The platform, as Nest's `HttpAdapter.getType()` names it. */
  readonly platform: string;
  /** The upper-case HTTP method. */
  method(request: unknown): string;
  /** The headers as Node gives them. */
  headers(request: unknown): WebhookHeaders;
  /** A route parameter, e.g. `source`. */
  param(request: unknown, name: string): string | undefined;
  /**
   * The full URL the client called, as senders that sign it see it: the protocol and host
   * from `X-Forwarded-Proto` and `X-Forwarded-Host` when present (their first value), else
   * the connection's protocol and `Host`; then the path and query exactly as received.
   */
  url(request: unknown): string;
  /**
   * The exact bytes of the body: those captured by the platform's own parser
   * (`rawBody: true`), or read from the untouched stream with the limit enforced while
   * reading. Throws `WebhookBodyError`. A body refused as too large is still read and
   * discarded (up to a bound) after the answer, so the sender reads the 413 instead of
   * having its connection cut while it writes.
   */
  readBody(request: unknown, maxBytes: number): Buffer | Promise<Buffer>;
  /**
   * The JSON the platform's parser already made of exactly the bytes `readBody` gave, when
   * it is `JSON.parse` of them (see `platformJson`); `undefined` otherwise.
   */
  parsedJson(request: unknown): unknown;
  /** Sets the status and content type of the answer the route then returns the body of. */
  prepareAnswer(response: unknown, status: number, contentType: string | undefined): void;
  /** Sends an answer the platform's way (its charset rules included): a sender's own answer. */
  send(response: unknown, status: number, contentType: string | undefined, body: string | undefined): void;
  /**
   * Sends a JSON text as it is, with `application/json; charset=utf-8` and its length: the
   * module's receipt. It skips what the platform's JSON answer adds and no sender reads (an
   * ETag hashed from the body on Express, a serializer lookup on Fastify), on every delivery.
   */
  sendJson(response: unknown, status: number, json: string): void;
  /**
   * Called once at module initialisation, after Nest registered the routes, with the
   * platform's instance (Nest's `HttpAdapter.getInstance()`): for platforms that must be told
   * to let bodies through to the guard (Fastify refuses content types it has no parser for),
   * or whose routing needs the module's catch-all routes last (Express matches in order).
   */
  prepare?(platformInstance: unknown, routes: WebhookRoutes): void;
}

/** The module's own routes, as the platform registered them. */
export interface WebhookRoutes {
  /** The catch-all webhook routes (`/webhooks/:source`, `/webhooks/:source/:tenant`). */
  readonly catchAllRoutes: readonly string[];
}
