import { Injectable, Logger, Optional } from '@nestjs/common';
import {
  statusOfReason,
  WebhookHandlerError,
  type WebhookDurations,
  type WebhookHandlerRun,
  type WebhookRejectionReason,
} from '../core/errors/index.js';
import { handlerFailedLine, jobCrashedLine, rejectionLine } from '../core/errors/webhook.messages.js';
import type { WebhookHeaders } from '../core/headers.js';
import type { DeliveryAttempt } from './delivery-attempt.js';
import { isWebhookRejection, toHttpException, type WebhookRejectionError } from './webhook-rejection.js';
import { maskHeaders, senderHeaderNamesOf, type SenderHeaderNames } from '../core/header-masking.js';
import { WebhookEvents, type WebhookOutcome, type WebhookOutcomeEvent } from './webhook-events.js';
import { WebhookSources } from './webhook-sources.js';
import { WebhookTracing } from './webhook-tracing.service.js';
import { isInternalSource, WEBHOOKS_LOGGER_CONTEXT } from './webhooks.constants.js';

/** What an outcome adds to what its attempt already knows. */
export interface OutcomeDetails {
  readonly reason?: WebhookRejectionReason;
  readonly detail?: string;
  readonly status?: number;
  readonly durations?: Partial<WebhookDurations>;
  readonly handlers?: readonly WebhookHandlerRun[];
}

/**
 * The one place that turns an attempt's facts into an outcome: once per outcome, it writes
 * the log line the outcome deserves and hands one event to every consumer (`events$`,
 * `onOutcome` listeners such as the dashboard), and ends the attempt's span when it is traced.
 * The guard, the processing service and the queue worker tell it what happened; none of them
 * builds an event, a log line or a span's outcome itself.
 */
@Injectable()
export class WebhookOutcomeRecorder {
  private readonly logger = new Logger(WEBHOOKS_LOGGER_CONTEXT);

  constructor(
    private readonly events: WebhookEvents,
    private readonly sources: WebhookSources,
    // Optional so the recorder can be made on its own (the dashboard's store tests do).
    @Optional() private readonly tracing?: WebhookTracing,
  ) {}

  /** An outcome with nothing to log: `verified`, `handshake`, `duplicate`, `queued`, `handled`. */
  record(attempt: DeliveryAttempt, outcome: WebhookOutcome, details: OutcomeDetails = {}): void {
    if (this.isSelfCheck(attempt)) return;
    if (attempt.trace) this.tracing?.recorded(attempt, outcome, details);
    if (this.events.listening) this.events.publish(new OutcomeEvent(attempt, outcome, details));
  }

  /**
   * A refusal or failure: one log line (with each failed handler's stack), one event.
   * Handler failures are `failed`; on a queue worker, so is anything retrying may mend;
   * other refusals are `rejected`.
   * @returns the HTTP status the request is answered with.
   */
  refused(attempt: DeliveryAttempt, error: WebhookRejectionError): number {
    const status = statusOfReason(error.reason);
    if (this.isSelfCheck(attempt)) return status;
    const outcome = this.outcomeOf(attempt, error);
    const answered = attempt.via === 'request' ? status : undefined;
    if (error instanceof WebhookHandlerError) this.logHandlerFailures(attempt, error);
    else this.logRefusal(attempt, error, answered);
    this.record(attempt, outcome, {
      reason: error.reason,
      detail: error.message,
      status: answered,
      durations: error instanceof WebhookHandlerError ? error.durations : undefined,
      handlers: error instanceof WebhookHandlerError ? error.runs : undefined,
    });
    return status;
  }

  /**
   * What a request's route throws for `error`: the library's own refusals are recorded and
   * become their HTTP answer; anything else (a bug, a set-up mistake) passes untouched.
   */
  toHttpError(attempt: DeliveryAttempt, error: unknown): unknown {
    if (!isWebhookRejection(error)) {
      if (attempt.trace) this.tracing?.abandoned(attempt, error);
      return error;
    }
    this.refused(attempt, error);
    return toHttpException(error);
  }

  /** A queue worker's failure that is none of the library's own refusals (Redis, a bug): retried. */
  crashed(attempt: DeliveryAttempt, error: unknown): void {
    if (isWebhookRejection(error)) {
      this.refused(attempt, error);
      return;
    }
    const detail = error instanceof Error ? error.message : String(error);
    this.logger.error(jobCrashedLine(attempt.sourceName, attempt.attemptId), errorStack(error));
    this.record(attempt, 'failed', { detail });
  }

  private outcomeOf(attempt: DeliveryAttempt, error: WebhookRejectionError): WebhookOutcome {
    if (error instanceof WebhookHandlerError) return 'failed';
    // A worker's refusal of a payload is final (`rejected`); its other errors are retried (`failed`).
    if (attempt.via === 'queue')
      return error.reason === 'unparseable_payload' || error.reason === 'invalid_payload' ? 'rejected' : 'failed';
    return 'rejected';
  }

  private logRefusal(attempt: DeliveryAttempt, error: WebhookRejectionError, status: number | undefined): void {
    const line = rejectionLine({
      source: attempt.sourceName,
      tenant: attempt.tenant,
      reason: error.reason,
      status,
      deliveryId: attempt.verified?.deliveryId,
      attemptId: attempt.attemptId,
      detail: error.message,
    });
    if (statusOfReason(error.reason) >= 500) this.logger.error(line);
    else this.logger.warn(line);
  }

  private logHandlerFailures(attempt: DeliveryAttempt, error: WebhookHandlerError): void {
    for (const failure of error.failures) {
      this.logger.error(
        handlerFailedLine(attempt.sourceName, error.deliveryId, failure.handler, attempt.attemptId),
        errorStack(failure.error),
      );
    }
  }

  /** The self-check's own deliveries are not deliveries: while it runs, nothing of them is recorded. */
  private isSelfCheck(attempt: DeliveryAttempt): boolean {
    return isInternalSource(attempt.sourceName) && this.sources.selfCheckRunning;
  }
}

/** The handlers of an outcome that ran none: one array for all of them. */
const NO_RUNS: readonly WebhookHandlerRun[] = Object.freeze([]);

/** What is known of the headers of a request that names no configured source: nothing but their names. */
const NO_SENDER: SenderHeaderNames = { sensitive: [] };

function errorStack(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * An outcome as consumers see it. Built only when someone listens; its masked headers and
 * its `Date` are made only when read: most consumers (counters) never read them.
 */
class OutcomeEvent implements WebhookOutcomeEvent {
  readonly outcome: WebhookOutcome;
  readonly attemptId: string;
  readonly atMs: number;
  readonly source: string;
  readonly provider: string | undefined;
  readonly tenant: string | undefined;
  readonly deliveryId: string | undefined;
  readonly event: string | undefined;
  readonly reason: WebhookRejectionReason | undefined;
  readonly detail: string | undefined;
  readonly status: number | undefined;
  readonly via: 'request' | 'queue';
  readonly durations: WebhookDurations;
  readonly handlers: readonly WebhookHandlerRun[];
  readonly rawBody: Buffer | undefined;
  #headers: Readonly<Record<string, string | readonly string[]>> | undefined;
  readonly #rawHeaders: WebhookHeaders;
  readonly #source: DeliveryAttempt['source'];

  constructor(attempt: DeliveryAttempt, outcome: WebhookOutcome, details: OutcomeDetails) {
    const verified = attempt.verified;
    this.outcome = outcome;
    this.attemptId = attempt.attemptId;
    this.atMs = Date.now();
    this.source = attempt.sourceName;
    this.provider = attempt.source?.provider.name;
    this.tenant = attempt.tenant;
    this.deliveryId = verified?.deliveryId;
    this.event = verified?.event;
    this.reason = details.reason;
    this.detail = details.detail;
    this.status = details.status;
    this.via = attempt.via;
    this.durations = {
      verifyMs: attempt.verifyMs,
      validateMs: details.durations?.validateMs,
      handlersMs: details.durations?.handlersMs,
    };
    this.handlers = details.handlers ?? NO_RUNS;
    this.rawBody = attempt.rawBody;
    this.#rawHeaders = attempt.headers;
    this.#source = attempt.source;
  }

  get at(): Date {
    return new Date(this.atMs);
  }

  get headers(): Readonly<Record<string, string | readonly string[]>> {
    if (this.#headers === undefined) {
      const provider = this.#source?.provider;
      this.#headers = maskHeaders(this.#rawHeaders, provider ? senderHeaderNamesOf(provider) : NO_SENDER);
    }
    return this.#headers;
  }

  /** `JSON.stringify(event)` shows the time and the masked headers, like any other field. */
  toJSON(): WebhookOutcomeEvent {
    return { ...this, at: this.at, headers: this.headers };
  }
}
