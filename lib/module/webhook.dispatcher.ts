import { Injectable, type Type } from '@nestjs/common';
import {
  WebhookHandlerError,
  WebhookPayloadError,
  type WebhookDurations,
  type WebhookHandlerFailure,
  type WebhookHandlerRun,
  type WebhookPayloadReason,
} from '../core/errors/index.js';
import { payloadUnreadable } from '../core/errors/webhook.messages.js';
import type { ParsedWebhookBody } from '../core/webhook-body.js';
import { WebhookResponse } from '../core/webhook-response.js';
import type { VerifiedAttempt } from './delivery-attempt.js';
import { contextOf, type WebhookContext } from './webhook-context.js';
import { WebhookHandlerRegistry, type WebhookHandlerDefinition } from './webhook-handler.registry.js';
import { toValidatedDto } from './webhook-payload.validator.js';
import { WebhookTracing, type AttemptTrace } from './webhook-tracing.service.js';

/** What one dispatch did. */
export interface DispatchReport {
  /** How many handlers ran (all succeeded). */
  readonly handled: number;
  readonly runs: readonly WebhookHandlerRun[];
  readonly durations: Partial<WebhookDurations>;
  /** What a responding handler returned, as the answer to send. */
  readonly response?: WebhookResponse;
}

const NOTHING_TO_DO: DispatchReport = { handled: 0, runs: [], durations: {} };

/** Hands a verified delivery to every handler of its source and event. */
@Injectable()
export class WebhookDispatcher {
  constructor(
    private readonly registry: WebhookHandlerRegistry,
    private readonly tracing: WebhookTracing,
  ) {}

  /**
   * Parses the body, validates every handler's DTO before any handler runs (so a bad payload
   * runs none of them), then runs them all, except those an earlier attempt already ran
   * successfully. Throws `WebhookPayloadError`, or `WebhookHandlerError` (naming the handlers
   * that did succeed) when any handler failed.
   */
  async dispatch(attempt: VerifiedAttempt, alreadyHandledBy: readonly string[] = []): Promise<DispatchReport> {
    const { source, delivery, verified } = attempt;
    let handlers = this.registry.handlersFor(source.name, verified.event);
    if (alreadyHandledBy.length > 0) handlers = handlers.filter((handler) => !alreadyHandledBy.includes(handler.name));
    if (handlers.length === 0) return NOTHING_TO_DO;
    const validateStart = performance.now();
    let parsed: ParsedWebhookBody;
    let payloads: unknown[];
    try {
      parsed = await source.provider.parse(delivery);
    } catch (error) {
      throw asPayloadError('unparseable_payload', error);
    }
    try {
      payloads = handlers.length === 1 ? [await payloadOf(handlers[0]!, parsed)] : await payloadsFor(handlers, parsed);
    } catch (error) {
      throw asPayloadError('invalid_payload', error);
    }
    const handlersStart = performance.now();
    const context = contextOf(attempt, parsed.attachments);
    const outcomes =
      handlers.length === 1
        ? [await this.runOne(handlers[0]!, payloads[0], context, attempt.trace)]
        : await Promise.allSettled(
            handlers.map((handler, index) => this.run(handler, payloads[index], context, attempt.trace)),
          );
    const durations = { validateMs: handlersStart - validateStart, handlersMs: performance.now() - handlersStart };
    return reportOf(handlers, outcomes, durations, verified.deliveryId);
  }

  /** Runs one of several handlers: a synchronous throw becomes a rejection like any other failure. */
  private async run(
    handler: WebhookHandlerDefinition,
    payload: unknown,
    context: WebhookContext,
    trace: AttemptTrace | undefined,
  ): Promise<unknown> {
    return await this.invoke(handler, payload, context, trace);
  }

  /**
   * The usual case, one handler: its outcome as `Promise.allSettled` gives it, in one async
   * step (no array of promises, no second frame around {@link run}).
   */
  private async runOne(
    handler: WebhookHandlerDefinition,
    payload: unknown,
    context: WebhookContext,
    trace: AttemptTrace | undefined,
  ): Promise<PromiseSettledResult<unknown>> {
    try {
      const value: unknown = await this.invoke(handler, payload, context, trace);
      return { status: 'fulfilled', value };
    } catch (reason) {
      return { status: 'rejected', reason };
    }
  }

  /**
   * Calls the handler, in its own span when the attempt is traced (so the spans it makes are
   * children of it): what it returns, or throws, as it does.
   */
  private invoke(
    handler: WebhookHandlerDefinition,
    payload: unknown,
    context: WebhookContext,
    trace: AttemptTrace | undefined,
  ): unknown {
    if (!trace) return handler.invoke(payload, context);
    return this.tracing.inSpan(trace, 'webhook.handler', handler.name, () => handler.invoke(payload, context));
  }
}

/** What the handlers did, or the `WebhookHandlerError` naming those that failed and those that succeeded. */
function reportOf(
  handlers: readonly WebhookHandlerDefinition[],
  outcomes: readonly PromiseSettledResult<unknown>[],
  durations: Partial<WebhookDurations>,
  deliveryId: string,
): DispatchReport {
  let response: WebhookResponse | undefined;
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.status === 'rejected') throw handlerErrorOf(handlers, outcomes, durations, deliveryId);
    if (handlers[index]!.respond) response = asResponse(outcome.value);
  }
  return { handled: handlers.length, runs: succeededRunsOf(handlers), durations, response };
}

/** The error naming each handler that failed, with every run's result. */
function handlerErrorOf(
  handlers: readonly WebhookHandlerDefinition[],
  outcomes: readonly PromiseSettledResult<unknown>[],
  durations: Partial<WebhookDurations>,
  deliveryId: string,
): WebhookHandlerError {
  const runs: WebhookHandlerRun[] = [];
  const failures: WebhookHandlerFailure[] = [];
  for (const [index, outcome] of outcomes.entries()) {
    const handler = handlers[index]!;
    if (outcome.status === 'fulfilled') {
      runs.push({ handler: handler.name, succeeded: true });
    } else {
      const error: unknown = outcome.reason;
      runs.push({
        handler: handler.name,
        succeeded: false,
        error: error instanceof Error ? error.message : String(error),
      });
      failures.push({ handler: handler.name, error });
    }
  }
  const succeeded = runs.filter((entry) => entry.succeeded).map((entry) => entry.handler);
  return new WebhookHandlerError(failures, deliveryId, succeeded, runs, durations);
}

/**
 * The runs of a dispatch in which every handler succeeded: one frozen list per list of handlers
 * (the registry hands out the same list for every delivery of a source and event), so that
 * whatever keeps a delivery's runs (the dashboard keeps the last thousand) keeps no new objects.
 */
const succeededRuns = new WeakMap<readonly WebhookHandlerDefinition[], readonly WebhookHandlerRun[]>();

function succeededRunsOf(handlers: readonly WebhookHandlerDefinition[]): readonly WebhookHandlerRun[] {
  let runs = succeededRuns.get(handlers);
  if (!runs) {
    runs = Object.freeze(handlers.map((handler) => Object.freeze({ handler: handler.name, succeeded: true })));
    succeededRuns.set(handlers, runs);
  }
  return runs;
}

/** A responding handler's return value as an answer: a `WebhookResponse` as is, anything else as JSON. */
function asResponse(value: unknown): WebhookResponse | undefined {
  if (value === undefined) return undefined;
  return value instanceof WebhookResponse ? value : WebhookResponse.json(value);
}

/**
 * What a failed step on the sender's bytes throws: anything not already a payload error (a
 * parser's TypeError, a stack overflow on absurdly deep JSON) is one: 400, not 500.
 */
function asPayloadError(reason: WebhookPayloadReason, error: unknown): WebhookPayloadError {
  if (error instanceof WebhookPayloadError) return error;
  return new WebhookPayloadError(reason, payloadUnreadable(error instanceof Error ? error.message : String(error)));
}

/** A handler's argument: its validated DTO, or the parsed payload. */
function payloadOf(handler: WebhookHandlerDefinition, parsed: ParsedWebhookBody): unknown {
  return handler.dto ? toValidatedDto(handler.dto, parsed.payload) : parsed.payload;
}

/** Each handler's argument, for several handlers: one validated DTO per DTO class, or the parsed payload. */
function payloadsFor(handlers: readonly WebhookHandlerDefinition[], parsed: ParsedWebhookBody): Promise<unknown[]> {
  const byDto = new Map<Type<object>, Promise<object>>();
  return Promise.all(
    handlers.map((handler) => {
      if (!handler.dto) return parsed.payload;
      let dto = byDto.get(handler.dto);
      if (!dto) {
        dto = toValidatedDto(handler.dto, parsed.payload);
        byDto.set(handler.dto, dto);
      }
      return dto;
    }),
  );
}
