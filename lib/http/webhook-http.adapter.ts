import type { WebhookHeaders } from '../core/headers.js';

/** What the module needs to know of a request, whatever the platform. */
export interface WebhookRequestInfo {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Headers as Node gives them. */
  readonly headers: WebhookHeaders;
  /** A route parameter, e.g. `source`. */
  param(name: string): string | undefined;
}

/**
 * The seam between the module and an HTTP platform. Everything that touches the
 * platform's request lives behind it, so Express and Fastify differ only here.
 */
export interface WebhookHttpAdapter {
  /** The platform, as Nest's `HttpAdapter.getType()` names it. */
  readonly platform: string;
  /** Method, headers and route parameters of a request. */
  describe(request: unknown): WebhookRequestInfo;
  /**
   * The exact bytes of the body: those captured by the platform's own parser
   * (`rawBody: true`), or read from the untouched stream with the limit enforced
   * while reading. Throws `WebhookBodyError`.
   */
  readBody(request: unknown, maxBytes: number): Promise<Buffer>;
  /**
   * Called once at module initialisation with the platform's instance (Nest's
   * `HttpAdapter.getInstance()`), for platforms that must be told to let bodies
   * through to the guard, e.g. Fastify, which refuses content types it has no parser for.
   */
  prepare?(platformInstance: unknown): void;
}
