import type { WebhookDurations, WebhookHandlerRun } from './webhook-events.js';

/**
 * Why a request matched no configured source: `unknown_source` (404), `unknown_tenant`
 * (404: a tenant segment that is malformed, or that the source's secret resolver does
 * not know), or `method_not_allowed` (405).
 */
export type WebhookRoutingReason = 'unknown_source' | 'unknown_tenant' | 'method_not_allowed';

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

/** One handler's failure. */
export interface WebhookHandlerFailure {
  /** `Class.method`. */
  readonly handler: string;
  readonly error: unknown;
}

/**
 * Thrown when one or more handlers of a verified delivery failed (HTTP 500, so the
 * sender retries). Its message names each handler and its error, for logs and dead
 * letters; the sender is never told more than the reason.
 */
export class WebhookHandlerError extends AggregateError {
  override readonly name = 'WebhookHandlerError';
  /** Always `handler_failed`. */
  readonly reason = 'handler_failed' as const;

  constructor(
    /** Each failed handler and its error. */
    readonly failures: readonly WebhookHandlerFailure[],
    /** The delivery whose handlers failed. */
    readonly deliveryId: string,
    /** The handlers (`Class.method`) that succeeded in this attempt. */
    readonly succeeded: readonly string[] = [],
    /** Every handler run of this attempt, failed or not. */
    readonly runs: readonly WebhookHandlerRun[] = [],
    /** How long validation and the handlers took. */
    readonly durations: Partial<WebhookDurations> = {},
  ) {
    super(
      failures.map((failure) => failure.error),
      failures
        .map(({ handler, error }) => `${handler}: ${error instanceof Error ? error.message : String(error)}`)
        .join('; '),
    );
  }
}

/**
 * Thrown when a source's secret resolver throws or rejects (HTTP 500 with a log line:
 * the sender retries, and the failure is never mistaken for a bad signature).
 */
export class WebhookSecretResolutionError extends Error {
  override readonly name = 'WebhookSecretResolutionError';
  /** Always `secret_resolver_failed`. */
  readonly reason = 'secret_resolver_failed' as const;
}
