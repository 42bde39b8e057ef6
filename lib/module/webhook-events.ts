import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { WebhookHeaders } from '../core/headers.js';
import type { WebhookRejectionReason } from './webhook-rejection.js';

/**
 * What became of a delivery:
 * - `verified`: its signature was proven (every accepted delivery has one, before what follows);
 * - `rejected`: answered with an error status before any handler ran (see `reason`);
 * - `duplicate`: handled before, so no handler ran again;
 * - `handled`: every handler ran and succeeded;
 * - `failed`: a handler threw (the sender, or the queue, will try again).
 */
export type WebhookOutcome = 'verified' | 'rejected' | 'duplicate' | 'handled' | 'failed';

/** How long each step took, in milliseconds; `undefined` for a step that did not run. */
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

/** One delivery outcome, as {@link WebhookEvents.events$} emits it. */
export interface WebhookOutcomeEvent {
  readonly outcome: WebhookOutcome;
  /** When the outcome happened. */
  readonly at: Date;
  /** The source named by the route (for `unknown_source`, the name as requested). */
  readonly source: string;
  /** The route's tenant segment, `/webhooks/:source/:tenant`. */
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

/** What the module's parts know when an outcome happens. */
export interface WebhookOutcomeFacts {
  readonly outcome: WebhookOutcome;
  readonly source: string;
  readonly tenant?: string;
  readonly deliveryId?: string;
  readonly event?: string;
  readonly reason?: WebhookRejectionReason;
  readonly detail?: string;
  readonly status?: number;
  readonly via?: 'request' | 'queue';
  readonly durations?: Partial<WebhookDurations>;
  readonly handlers?: readonly WebhookHandlerRun[];
  readonly headers?: WebhookHeaders;
  /** The sender's signature and token headers, masked in the event. */
  readonly sensitiveHeaders?: readonly string[];
  readonly rawBody?: Buffer;
}

/** The value shown instead of a masked header's. */
export const MASKED_HEADER_VALUE = '[masked]';

/**
 * Header names masked whatever the sender (or none, for a request to an unknown source):
 * credentials, and anything named like a signature, token, secret or key.
 */
const SENSITIVE_HEADER_NAME = /signature|hmac|token|secret|auth|cookie|key|password|credential/i;

/** Whether a header is masked in events, the dashboard and stored jobs: by the sender's list or by its name. */
export function isSensitiveHeader(name: string, senderSensitive: readonly string[]): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_HEADER_NAME.test(lower) || senderSensitive.some((header) => header.toLowerCase() === lower);
}

/**
 * The stream of delivery outcomes: subscribe to count, trace or alert on what the
 * module verified, refused, skipped as a duplicate, handled, or failed to handle.
 * Each delivery emits `verified` and then at most one of the others, or `rejected` alone.
 *
 * Subscribers run synchronously on the delivery's path: keep them quick and never
 * let them throw (rxjs reports a throwing subscriber as an uncaught error).
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
  /** Replaced, never changed in place: a tap removed during an emit cannot make it skip another. */
  private taps: readonly OutcomeTap[] = [];

  /** Every outcome, as it happens. */
  readonly events$: Observable<WebhookOutcomeEvent> = this.subject.asObservable();

  /** Emits an outcome; nothing is built when nobody listens. (The self-check's own deliveries never get here.) */
  emit(facts: WebhookOutcomeFacts): void {
    const observed = this.subject.observed;
    if (!observed && this.taps.length === 0) return;
    const at = Date.now();
    for (const tap of this.taps) tap(facts, at);
    if (observed) this.subject.next(new OutcomeEvent(facts, at));
  }

  /**
   * Hands every outcome's facts, unmasked, to one of the module's own parts (the dashboard),
   * without building an event object or going through rxjs: one plain call per outcome.
   * A tap must be quick and must never throw. Returns the function that removes it.
   * @internal
   */
  tap(tap: OutcomeTap): () => void {
    this.taps = [...this.taps, tap];
    return () => {
      this.taps = this.taps.filter((other) => other !== tap);
    };
  }
}

/** A module-internal consumer of outcomes: the facts as emitted, and when (ms since the epoch). */
export type OutcomeTap = (facts: WebhookOutcomeFacts, at: number) => void;

/**
 * An event whose masked headers are copied only when read: most subscribers (counters)
 * never read them, and the copy is the one cost that grows with the request.
 */
class OutcomeEvent implements WebhookOutcomeEvent {
  readonly outcome: WebhookOutcome;
  readonly at: Date;
  readonly source: string;
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
  readonly #sensitiveHeaders: readonly string[];

  constructor(facts: WebhookOutcomeFacts, at: number) {
    this.outcome = facts.outcome;
    this.at = new Date(at);
    this.source = facts.source;
    this.tenant = facts.tenant;
    this.deliveryId = facts.deliveryId;
    this.event = facts.event;
    this.reason = facts.reason;
    this.detail = facts.detail;
    this.status = facts.status;
    this.via = facts.via ?? 'request';
    this.durations = {
      verifyMs: facts.durations?.verifyMs,
      validateMs: facts.durations?.validateMs,
      handlersMs: facts.durations?.handlersMs,
    };
    this.handlers = facts.handlers ?? [];
    this.rawBody = facts.rawBody;
    this.#rawHeaders = facts.headers ?? {};
    this.#sensitiveHeaders = facts.sensitiveHeaders ?? [];
  }

  get headers(): Readonly<Record<string, string | readonly string[]>> {
    this.#headers ??= maskHeaders(this.#rawHeaders, this.#sensitiveHeaders);
    return this.#headers;
  }

  /** `JSON.stringify(event)` shows the masked headers, like any other field. */
  toJSON(): WebhookOutcomeEvent {
    return { ...this, headers: this.headers };
  }
}

/** A copy of `headers` with the sender's sensitive headers and anything named like a credential masked. */
export function maskHeaders(
  headers: WebhookHeaders,
  sensitive: readonly string[],
): Record<string, string | readonly string[]> {
  const masked: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    masked[name] = isSensitiveHeader(name, sensitive) ? MASKED_HEADER_VALUE : value;
  }
  return masked;
}
