import { Injectable, Logger } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { WebhookDurations, WebhookHandlerRun, WebhookRejectionReason } from '../core/errors/index.js';
import { outcomeListenerFailed } from '../core/errors/webhook.messages.js';
import { WEBHOOKS_LOGGER_CONTEXT } from './webhooks.constants.js';

/**
 * What became of an attempt at a delivery:
 * - `verified`: its signature was proven (every accepted attempt has one, before what follows);
 * - `rejected`: answered with an error status before any handler ran (see `reason`);
 * - `handshake`: a sender's handshake (Slack's `url_verification`, Discord's PING), answered by the module;
 * - `duplicate`: handled before, so no handler ran again;
 * - `queued`: safely on the queue (queue mode); a worker's attempt reports what follows;
 * - `handled`: every handler ran and succeeded;
 * - `failed`: a handler threw, or a queued job could not be handled (the sender, or the queue, tries again).
 */
export type WebhookOutcome = 'verified' | 'rejected' | 'handshake' | 'duplicate' | 'queued' | 'handled' | 'failed';

/** One outcome of an attempt at a delivery, as {@link WebhookEvents} hands it out. */
export interface WebhookOutcomeEvent {
  readonly outcome: WebhookOutcome;
  /** The attempt this outcome belongs to: the same in its log line and dashboard entry. */
  readonly attemptId: string;
  /** When the outcome happened. */
  readonly at: Date;
  /** The same moment in milliseconds since the epoch (no Date is built to read it). */
  readonly atMs: number;
  /** The source named by the route or job (for `unknown_source`, the name as requested). */
  readonly source: string;
  /** The sender's provider name, once the source is known. */
  readonly provider: string | undefined;
  /** The tenant: the one the secret resolver named, else the route's tenant segment. */
  readonly tenant: string | undefined;
  /** The delivery id, once known (not for deliveries refused before verification). */
  readonly deliveryId: string | undefined;
  /** The sender's event type, where it has one. */
  readonly event: string | undefined;
  /** Why, for `rejected` and `failed`. */
  readonly reason: WebhookRejectionReason | undefined;
  /** The log-safe explanation, for `rejected` and `failed`: never a secret or an expected signature. */
  readonly detail: string | undefined;
  /** The HTTP status answered; `undefined` for outcomes of queue workers, which answer nobody. */
  readonly status: number | undefined;
  /** Whether the outcome happened in the request or on a queue worker. */
  readonly via: 'request' | 'queue';
  readonly durations: WebhookDurations;
  /** The handlers that ran, for `handled` and `failed`. */
  readonly handlers: readonly WebhookHandlerRun[];
  /** The request headers, with signature, token and credential headers masked. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** The body as received, when it was read (not for deliveries refused before their body was read). */
  readonly rawBody: Buffer | undefined;
}

/** A plain function told of every outcome, synchronously; see {@link WebhookEvents.onOutcome}. */
export type WebhookOutcomeListener = (event: WebhookOutcomeEvent) => void;

/**
 * The outcomes of every attempt at a delivery: subscribe to count, trace or alert on what the
 * module verified, refused, skipped as a duplicate, handled, or failed to handle. Each attempt
 * gives `verified` and then at most one other outcome, or `rejected` alone.
 *
 * Two ways in: `events$`, an rxjs stream; and {@link onOutcome}, a plain synchronous listener
 * for consumers on the hot path (the dashboard records through it), which costs one function
 * call per outcome. Both run on the delivery's path: keep them quick. A listener that throws is
 * logged (once) and never reaches the delivery.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class WebhookMetrics implements OnModuleInit {
 *   constructor(private readonly webhooks: WebhookEvents) {}
 *   onModuleInit(): void {
 *     this.webhooks.events$.subscribe((e) => counter.inc({ source: e.source, outcome: e.outcome }));
 *   }
 * }
 * ```
 */
@Injectable()
export class WebhookEvents {
  private readonly subject = new Subject<WebhookOutcomeEvent>();
  /** Replaced, never changed in place: a listener removed during a publish makes it skip no other. */
  private listeners: readonly WebhookOutcomeListener[] = [];
  private readonly failedListeners = new WeakSet<WebhookOutcomeListener>();

  /** Every outcome, as it happens. */
  readonly events$: Observable<WebhookOutcomeEvent> = this.subject.asObservable();

  /**
   * Calls `listener` with every outcome, synchronously, as it is recorded: no rxjs on the
   * way, and nothing built when nobody listens. Returns the function that removes it.
   *
   * @example
   * ```ts
   * const stop = events.onOutcome((event) => {
   *   if (event.outcome === 'failed') alert(event.source, event.attemptId);
   * });
   * ```
   */
  onOutcome(listener: WebhookOutcomeListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((other) => other !== listener);
    };
  }

  /** Whether anything listens, so the recorder builds no event for nobody. @internal */
  get listening(): boolean {
    return this.listeners.length > 0 || this.subject.observed;
  }

  /** Hands an outcome to every listener, then to `events$`. Only the outcome recorder publishes. @internal */
  publish(event: WebhookOutcomeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.reportListenerFailure(listener, error);
      }
    }
    if (this.subject.observed) this.subject.next(event);
  }

  /** Once per listener: whatever goes wrong in it, even in logging it, never reaches the delivery. */
  private reportListenerFailure(listener: WebhookOutcomeListener, error: unknown): void {
    if (this.failedListeners.has(listener)) return;
    this.failedListeners.add(listener);
    try {
      new Logger(WEBHOOKS_LOGGER_CONTEXT).error(outcomeListenerFailed(error));
    } catch {
      // A logger that throws has nothing better to be told.
    }
  }
}

export { MASKED_HEADER_VALUE, maskHeaders, isSensitiveHeader } from '../core/header-masking.js';
