import { Injectable, type Type } from '@nestjs/common';
import {
  WebhookHandlerError,
  WebhookPayloadError,
  type WebhookDurations,
  type WebhookHandlerRun,
  type WebhookPayloadReason,
} from '../core/errors/index.js';
import { payloadUnreadable } from '../core/errors/webhook.messages.js';
import type { ParsedWebhookBody } from '../core/webhook-body.js';
import { WebhookResponse } from '../core/webhook-response.js';
import type { VerifiedAttempt } from './delivery-attempt.js';
import { contextOf } from './webhook-context.js';
import { WebhookHandlerRegistry, type WebhookHandlerDefinition } from './webhook-handler.registry.js';
import { toValidatedDto } from './webhook-payload.validator.js';

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
  constructor(private readonly registry: WebhookHandlerRegistry) {}

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
    const parsed = await asPayloadError('unparseable_payload', () => source.provider.parse(delivery));
    const payloads = await asPayloadError('invalid_payload', () => payloadsFor(handlers, parsed));
    const handlersStart = performance.now();
    const context = contextOf(attempt, parsed.attachments);
    const outcomes = await Promise.allSettled(
      // Promise.resolve().then also turns a synchronous throw into a rejection.
      handlers.map((handler, index) => Promise.resolve().then(() => handler.invoke(payloads[index], context))),
    );
    const durations = { validateMs: handlersStart - validateStart, handlersMs: performance.now() - handlersStart };
    const runs = outcomes.map((outcome, index): WebhookHandlerRun => {
      const handler = handlers[index]!.name;
      if (outcome.status === 'fulfilled') return { handler, succeeded: true };
      const reason: unknown = outcome.reason;
      return { handler, succeeded: false, error: reason instanceof Error ? reason.message : String(reason) };
    });
    const failures = outcomes.flatMap((outcome, index) =>
      outcome.status === 'rejected' ? [{ handler: handlers[index]!.name, error: outcome.reason as unknown }] : [],
    );
    if (failures.length > 0) {
      const succeeded = handlers.filter((_, index) => outcomes[index]!.status === 'fulfilled').map((h) => h.name);
      throw new WebhookHandlerError(failures, verified.deliveryId, succeeded, runs, durations);
    }
    const responder = handlers.findIndex((handler) => handler.respond);
    const answer = responder === -1 ? undefined : (outcomes[responder] as PromiseFulfilledResult<unknown>).value;
    return { handled: handlers.length, runs, durations, response: asResponse(answer) };
  }
}

/** A responding handler's return value as an answer: a `WebhookResponse` as is, anything else as JSON. */
function asResponse(value: unknown): WebhookResponse | undefined {
  if (value === undefined) return undefined;
  return value instanceof WebhookResponse ? value : WebhookResponse.json(value);
}

/**
 * Runs a step on the sender's bytes; anything it throws that is not already a payload error
 * (a parser's TypeError, a stack overflow on absurdly deep JSON) is one: 400, not 500.
 */
async function asPayloadError<T>(reason: WebhookPayloadReason, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof WebhookPayloadError) throw error;
    throw new WebhookPayloadError(reason, payloadUnreadable(error instanceof Error ? error.message : String(error)));
  }
}

/** Each handler's argument: its validated DTO (one per DTO class) or the parsed payload. */
async function payloadsFor(
  handlers: readonly WebhookHandlerDefinition[],
  parsed: ParsedWebhookBody,
): Promise<unknown[]> {
  if (handlers.length === 1) {
    const dto = handlers[0]!.dto;
    return [dto ? await toValidatedDto(dto, parsed.payload) : parsed.payload];
  }
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
