import { Injectable, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { Attributes, Context, Span, SpanContext, SpanStatus, Tracer } from '@opentelemetry/api';
import { statusOfReason } from '../core/errors/index.js';
import { errorKind } from '../core/errors/webhook.messages.js';
import type { DeliveryAttempt } from './delivery-attempt.js';
import type { WebhookOutcome } from './webhook-events.js';
import type { OutcomeDetails } from './webhook-outcome-recorder.service.js';
import { isWebhookRejection } from './webhook-rejection.js';
import { isInternalSource } from './webhooks.constants.js';

type OpenTelemetryApi = typeof import('@opentelemetry/api');

/** The tracer's name, as trace back-ends show it (the instrumentation scope). */
export const WEBHOOKS_TRACER_NAME = 'nestjs-signed-webhooks';

/** The child spans of an attempt. */
export type WebhookStepSpan = 'webhook.verify' | 'webhook.deduplicate' | 'webhook.handler';

declare const opaque: unique symbol;

/**
 * An attempt's span, as the attempt carries it. Opaque: attempts appear in the library's type
 * declarations, and `@opentelemetry/api`, an optional peer dependency, must not.
 */
export interface AttemptTrace {
  readonly [opaque]: true;
}

/** What an {@link AttemptTrace} holds: only this file looks inside. */
interface OpenTrace {
  /** The attempt's `webhook.receive` span. */
  readonly span: Span;
  /** The context with that span active: the parent of every step's span. */
  readonly context: Context;
  /** The `webhook.verify` span, until the verification ends. */
  verify: Span | undefined;
  ended: boolean;
}

/** Values from a request (an unknown source's name, a tenant segment, an event) are cut to this length. */
const MAX_ATTRIBUTE_LENGTH = 128;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * OpenTelemetry spans of every delivery, when `@opentelemetry/api` is installed and a tracer
 * provider is registered (otherwise nothing, at the cost of a null check per delivery):
 * `webhook.receive` per attempt, with `webhook.verify`, `webhook.deduplicate` and one
 * `webhook.handler` per handler as its children. The guard and the queue worker start an
 * attempt's span, the steps run in theirs, and the outcome recorder ends it with the outcome.
 * No attribute ever holds a header value, a secret, a signature or the body.
 */
@Injectable()
export class WebhookTracing implements OnModuleInit, OnApplicationBootstrap {
  private api: OpenTelemetryApi | undefined;
  private tracer: Tracer | undefined;

  /** Loads the API once: without the package, tracing stays off, silently (it is optional). */
  async onModuleInit(): Promise<void> {
    this.api = await import('@opentelemetry/api').catch(() => undefined);
    this.tracer = this.api && registeredTracer(this.api);
  }

  /** Looks again, for a tracer provider registered while the app's modules started. */
  onApplicationBootstrap(): void {
    if (this.api && !this.tracer) this.tracer = registeredTracer(this.api);
  }

  /** Whether deliveries are traced: the API is installed and a tracer provider is registered. */
  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /**
   * Starts a request's `webhook.receive` span, a child of the active context (the HTTP server
   * span, where there is one), and its `webhook.verify` child. The module's self-check is not traced.
   */
  startRequest(sourceName: string, attemptId: string): AttemptTrace | undefined {
    if (!this.tracer || isInternalSource(sourceName)) return undefined;
    const trace = this.start(sourceName, attemptId, 'request', this.api!.context.active(), undefined);
    trace.verify = this.tracer.startSpan('webhook.verify', { kind: this.api!.SpanKind.INTERNAL }, trace.context);
    return hidden(trace);
  }

  /**
   * Starts a queue worker's `webhook.receive` span: a child of the request's span that queued
   * the job (`traceparent`, read from a sealed job only), so both are one trace, and linked to it,
   * since that span has ended by then. Without one, a child of the active context.
   */
  startJob(sourceName: string, attemptId: string, traceparent: string | undefined): AttemptTrace | undefined {
    if (!this.tracer) return undefined;
    const api = this.api!;
    const queued = traceparent === undefined ? undefined : spanContextOf(api, traceparent);
    const parent = queued ? api.trace.setSpanContext(api.ROOT_CONTEXT, queued) : api.context.active();
    return hidden(this.start(sourceName, attemptId, 'queue', parent, queued));
  }

  /** The W3C `traceparent` of an attempt's span: what a queued job carries to its worker. */
  traceparentOf(trace: AttemptTrace | undefined): string | undefined {
    if (!trace) return undefined;
    const context = opened(trace).span.spanContext();
    if (!this.api!.trace.isSpanContextValid(context)) return undefined;
    return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
  }

  /**
   * Runs one step of a traced attempt in its own span, a child of the attempt's, with that span
   * as the active context: spans the step's code makes (a handler's own) are its children.
   * `handler` names the handler, for `webhook.handler` spans. A step that throws at once
   * rejects, like one that fails later.
   */
  async inSpan<T>(
    trace: AttemptTrace,
    name: WebhookStepSpan,
    handler: string | undefined,
    step: () => T | Promise<T>,
  ): Promise<T> {
    const api = this.api!;
    const { context } = opened(trace);
    const attributes = handler === undefined ? undefined : { 'webhook.handler': handler };
    const span = this.tracer!.startSpan(name, { kind: api.SpanKind.INTERNAL, attributes }, context);
    try {
      return await api.context.with(api.trace.setSpan(context, span), step);
    } catch (error) {
      // A handler that throws is the application's failure, whatever it threw.
      this.failStep(span, error, name === 'webhook.handler');
      throw error;
    } finally {
      span.end();
    }
  }

  /**
   * Told by the outcome recorder of each outcome of a traced attempt: `verified` ends the
   * verification's span; a final outcome ends the attempt's, with the outcome's attributes.
   * The status is an error only for a 5xx answer, or a worker's failure: a refused signature
   * is the sender's problem, not the application's.
   */
  recorded(attempt: DeliveryAttempt, outcome: WebhookOutcome, details: OutcomeDetails): void {
    const trace = attempt.trace && opened(attempt.trace);
    if (!trace || trace.ended) return;
    if (outcome === 'verified') {
      endVerification(trace, undefined, undefined);
      return;
    }
    const failed = details.status === undefined ? outcome === 'failed' : details.status >= 500;
    const status: SpanStatus = failed
      ? { code: this.api!.SpanStatusCode.ERROR, message: details.reason ?? outcome }
      : { code: this.api!.SpanStatusCode.UNSET };
    this.finish(trace, outcomeAttributes(attempt, outcome, details), status, details.reason);
  }

  /**
   * An attempt ended by an error that is none of the library's refusals (a bug, a set-up
   * mistake), which the application's exception filters answer: its span ends as an error.
   */
  abandoned(attempt: DeliveryAttempt, error: unknown): void {
    const trace = attempt.trace && opened(attempt.trace);
    if (!trace || trace.ended) return;
    const status: SpanStatus = { code: this.api!.SpanStatusCode.ERROR, message: errorKind(error) };
    this.finish(trace, outcomeAttributes(attempt, undefined, {}), status, undefined);
  }

  private start(
    sourceName: string,
    attemptId: string,
    via: 'request' | 'queue',
    parent: Context,
    queued: SpanContext | undefined,
  ): OpenTrace {
    const api = this.api!;
    const span = this.tracer!.startSpan(
      'webhook.receive',
      {
        kind: api.SpanKind.INTERNAL,
        // Known from the start, so samplers can decide on them.
        attributes: { 'webhook.source': bounded(sourceName), 'webhook.attempt_id': attemptId, 'webhook.via': via },
        links: queued ? [{ context: queued }] : undefined,
      },
      parent,
    );
    return { span, context: api.trace.setSpan(parent, span), verify: undefined, ended: false };
  }

  private failStep(span: Span, error: unknown, alwaysError: boolean): void {
    const rejection = isWebhookRejection(error) ? error : undefined;
    if (rejection) span.setAttribute('webhook.reason', rejection.reason);
    if (alwaysError || !rejection || statusOfReason(rejection.reason) >= 500) {
      // The error's kind, never its message: code that reads secrets may quote them in its errors.
      span.setStatus({ code: this.api!.SpanStatusCode.ERROR, message: rejection?.reason ?? errorKind(error) });
    }
  }

  /** Ends the attempt's span (and the verification's, if the attempt ended during it). */
  private finish(trace: OpenTrace, attributes: Attributes, status: SpanStatus, reason: string | undefined): void {
    trace.ended = true;
    endVerification(trace, reason, status);
    trace.span.setAttributes(attributes);
    trace.span.setStatus(status);
    trace.span.end();
  }
}

/** The tracer of the registered provider; `undefined` while only the API's no-op is there. */
function registeredTracer(api: OpenTelemetryApi): Tracer | undefined {
  const provider = api.trace.getTracerProvider();
  // The global provider is a proxy: it has a delegate once an SDK registered one.
  if ('getDelegateTracer' in provider && typeof provider.getDelegateTracer === 'function') {
    return (provider as { getDelegateTracer(name: string): Tracer | undefined }).getDelegateTracer(
      WEBHOOKS_TRACER_NAME,
    );
  }
  return provider.getTracer(WEBHOOKS_TRACER_NAME);
}

/** An attempt's trace as the rest of the module holds it, and as this file reads it. */
function hidden(trace: OpenTrace): AttemptTrace {
  return trace as unknown as AttemptTrace;
}

function opened(trace: AttemptTrace): OpenTrace {
  return trace as unknown as OpenTrace;
}

/**
 * Ends the verification's span, if still open: when the attempt ended during it, with the
 * refusal's reason and the attempt's status.
 */
function endVerification(trace: OpenTrace, reason: string | undefined, status: SpanStatus | undefined): void {
  const verify = trace.verify;
  if (!verify) return;
  trace.verify = undefined;
  if (reason !== undefined) verify.setAttribute('webhook.reason', reason);
  if (status) verify.setStatus(status);
  verify.end();
}

/** The attempt's facts as attributes: no header value, secret, signature or body, only its size. */
function outcomeAttributes(
  attempt: DeliveryAttempt,
  outcome: WebhookOutcome | undefined,
  details: OutcomeDetails,
): Attributes {
  const verified = attempt.verified;
  return {
    'webhook.source': bounded(attempt.sourceName),
    'webhook.provider': attempt.source?.provider.name,
    'webhook.tenant': attempt.tenant === undefined ? undefined : bounded(attempt.tenant),
    'webhook.event': verified?.event === undefined ? undefined : bounded(verified.event),
    'webhook.delivery_id': verified === undefined ? undefined : bounded(verified.deliveryId),
    'webhook.outcome': outcome,
    'webhook.reason': details.reason,
    'webhook.body_size': attempt.rawBody?.length,
  };
}

/** A span context from a W3C `traceparent`, marked remote; `undefined` if it is not one. */
function spanContextOf(api: OpenTelemetryApi, traceparent: string): SpanContext | undefined {
  const match = TRACEPARENT.exec(traceparent);
  if (!match) return undefined;
  const context: SpanContext = {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: Number.parseInt(match[3]!, 16),
    isRemote: true,
  };
  return api.trace.isSpanContextValid(context) ? context : undefined;
}

function bounded(value: string): string {
  return value.length > MAX_ATTRIBUTE_LENGTH ? `${value.slice(0, MAX_ATTRIBUTE_LENGTH)}…` : value;
}
