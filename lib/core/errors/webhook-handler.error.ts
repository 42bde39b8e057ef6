import { WebhookError } from './webhook.error.js';
import { handlerFailures } from './webhook.messages.js';

/** How long each step of a delivery took, in milliseconds; `undefined` for a step that did not run. */
export interface WebhookDurations {
  /** Resolving the secret and checking the signature (reading the body excluded). */
  readonly verifyMs: number | undefined;
  /** Parsing the body and validating the handlers' DTOs. */
  readonly validateMs: number | undefined;
  /** Running the handlers. */
  readonly handlersMs: number | undefined;
}

/** One handler's run within a delivery. */
export interface WebhookHandlerRun {
  /** `Class.method`. */
  readonly handler: string;
  readonly succeeded: boolean;
  /** The error's message, when it failed. */
  readonly error?: string;
}

/** One handler's failure. */
export interface WebhookHandlerFailure {
  /** `Class.method`. */
  readonly handler: string;
  readonly error: unknown;
}

/**
 * Thrown when one or more handlers of a verified delivery failed (HTTP 500, so the sender
 * retries). Its message names each handler and its error, for logs and dead letters; the
 * sender is never told more than the reason. `errors` holds every handler's error, as an
 * `AggregateError` would.
 */
export class WebhookHandlerError extends WebhookError<'handler_failed'> {
  /** Each failed handler's error. */
  readonly errors: readonly unknown[];

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
    super('handler_failed', handlerFailures(failures));
    this.errors = failures.map((failure) => failure.error);
  }
}
