import type { Type } from '@nestjs/common';
import { WEBHOOK_HANDLER_METADATA } from './webhooks.constants.js';

/** Options of {@link WebhookHandler}. */
export interface WebhookHandlerOptions {
  /** Only deliveries of this event type (or one of these) reach the handler. */
  readonly event?: string | readonly string[];
  /**
   * The class the payload is built into and validated as. Default: the type of the method's
   * first parameter, as `emitDecoratorMetadata` records it (builds without it, such as tsx,
   * esbuild or Vitest without SWC, must name the DTO here). `Object` (or an interface or
   * `object` parameter) gets the parsed payload unvalidated.
   */
  readonly dto?: Type<object> | ObjectConstructor;
  /**
   * What the handler returns is the answer the sender reads: an object is sent as JSON, a
   * `WebhookResponse` as it says (TwiML as `text/xml`, for instance). For senders that read
   * the answer: Discord interactions, Slack slash commands, Twilio. At most one responding
   * handler per source and event (checked at start-up); it runs in the request, in queue mode too.
   */
  readonly respond?: boolean;
}

/** What `@WebhookHandler()` records on a method. */
export interface WebhookHandlerMetadata {
  readonly source: string;
  readonly events: readonly string[] | undefined;
  readonly dto: Type<object> | ObjectConstructor | undefined;
  readonly respond: boolean;
}

/**
 * Marks a method of a provider (a plain `@Injectable()` class) as a handler of a
 * source's verified deliveries. It receives the payload, validated as its DTO, and the
 * {@link WebhookContext}. Several handlers of the same delivery all run; stacking the
 * decorator handles several sources.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class FeedbackHandlers {
 *   @WebhookHandler('usersnap')
 *   onFeedback(feedback: UsersnapFeedbackDto, context: WebhookContext) {}
 *
 *   @WebhookHandler('shopsurvey', { event: 'Response.Created' })
 *   onResponse(payload: ShopSurveyEventDto) {}
 *
 *   @WebhookHandler('twilio', { respond: true })
 *   onSms(message: Record<string, string>) {
 *     return WebhookResponse.xml('<Response><Message>Got it</Message></Response>');
 *   }
 * }
 * ```
 */
export function WebhookHandler(source: string, options: WebhookHandlerOptions = {}): MethodDecorator {
  const entry: WebhookHandlerMetadata = {
    source,
    events:
      options.event === undefined
        ? undefined
        : typeof options.event === 'string'
          ? [options.event]
          : [...options.event],
    dto: options.dto,
    respond: options.respond === true,
  };
  return (_target, _key, descriptor) => {
    const method = descriptor.value as object;
    const existing = (Reflect.getMetadata(WEBHOOK_HANDLER_METADATA, method) ?? []) as readonly WebhookHandlerMetadata[];
    Reflect.defineMetadata(WEBHOOK_HANDLER_METADATA, [...existing, entry], method);
    return descriptor;
  };
}
