import { Injectable, Logger, type Type } from '@nestjs/common';
import type { ParsedWebhookBody } from '../core/webhook-body.js';
import { WebhookPayloadError, type WebhookPayloadReason } from '../core/webhook-payload.error.js';
import type { VerifiedDelivery } from './verified-requests.js';
import type { WebhookContext } from './webhook-context.js';
import type { WebhookDurations, WebhookHandlerRun } from './webhook-events.js';
import { WebhookHandlerRegistry, type WebhookHandlerDefinition } from './webhook-handler.registry.js';
import { toValidatedDto } from './webhook-payload.validator.js';
import { WEBHOOKS_LOGGER_CONTEXT } from './webhooks.constants.js';
import { WebhookHandlerError } from './webhooks.errors.js';
import { handlerFailedLine } from './webhooks.messages.js';

/** What one dispatch did. */
export interface DispatchReport {
  /** How many handlers ran (all succeeded). */
  readonly handled: number;
  readonly runs: readonly WebhookHandlerRun[];
  readonly durations: Partial<WebhookDurations>;
}

const NOTHING_TO_DO: DispatchReport = { handled: 0, runs: [], durations: {} };

/** Hands a verified delivery to every handler of its source and event. */
@Injectable()
export class WebhookDispatcher {
  private readonly logger = new Logger(WEBHOOKS_LOGGER_CONTEXT);

  constructor(private readonly registry: WebhookHandlerRegistry) {}

  /**
   * Parses the body, validates every handler's DTO before any handler runs (so a bad
   * payload runs none of them), then runs them all, except those an earlier attempt
   * already ran successfully. Throws `WebhookPayloadError`, or `WebhookHandlerError`
   * (naming the handlers that did succeed) when any handler failed.
   */
  async dispatch(
    { source, tenant, delivery, verified }: VerifiedDelivery,
    alreadyHandledBy: readonly string[] = [],
  ): Promise<DispatchReport> {
    const handlers = this.registry
      .handlersFor(source.name, verified.event)
      .filter((handler) => !alreadyHandledBy.includes(handler.name));
    if (handlers.length === 0) return NOTHING_TO_DO;
    const validateStart = performance.now();
    const parsed = await asPayloadError('unparseable_payload', () => source.provider.parse(delivery));
    const payloads = await asPayloadError('invalid_payload', () => payloadsFor(handlers, parsed));
    const validateMs = performance.now() - validateStart;
    const context: WebhookContext = {
      source: source.name,
      tenant,
      provider: source.provider.name,
      event: verified.event,
      deliveryId: verified.deliveryId,
      timestamp: verified.timestamp,
      headers: delivery.headers.raw,
      rawBody: delivery.rawBody,
      attachments: parsed.attachments,
    };
    const handlersStart = performance.now();
    const outcomes = await Promise.allSettled(
      // Promise.resolve().then also turns a synchronous throw into a rejection.
      handlers.map((handler, index) => Promise.resolve().then(() => handler.invoke(payloads[index], context))),
    );
    const durations = { validateMs, handlersMs: performance.now() - handlersStart };
    const runs = outcomes.map((outcome, index): WebhookHandlerRun => {
      const handler = handlers[index]!.name;
      if (outcome.status === 'fulfilled') return { handler, succeeded: true };
      const reason: unknown = outcome.reason;
      return { handler, succeeded: false, error: reason instanceof Error ? reason.message : String(reason) };
    });
    const failures = outcomes.flatMap((outcome, index) => {
      if (outcome.status === 'fulfilled') return [];
      const error: unknown = outcome.reason;
      const handler = handlers[index]!.name;
      this.logger.error(
        handlerFailedLine(source.name, verified.deliveryId, handler),
        error instanceof Error ? error.stack : String(error),
      );
      return [{ handler, error }];
    });
    if (failures.length > 0) {
      const succeeded = handlers.filter((_, index) => outcomes[index]!.status === 'fulfilled').map((h) => h.name);
      throw new WebhookHandlerError(failures, verified.deliveryId, succeeded, runs, durations);
    }
    return { handled: handlers.length, runs, durations };
  }
}

/**
 * Runs a step on the sender's bytes; anything it throws that is not already a payload
 * error (a parser's TypeError, a stack overflow on absurdly deep JSON) is one: 400, not 500.
 */
async function asPayloadError<T>(reason: WebhookPayloadReason, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof WebhookPayloadError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new WebhookPayloadError(reason, `The payload could not be read: ${detail}`);
  }
}

/** Each handler's argument: its validated DTO (one per DTO class) or the parsed payload. */
async function payloadsFor(
  handlers: readonly WebhookHandlerDefinition[],
  parsed: ParsedWebhookBody,
): Promise<unknown[]> {
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
