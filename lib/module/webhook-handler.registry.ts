import { Injectable, type Type } from '@nestjs/common';

/** A discovered handler, as plain data. */
export interface WebhookHandlerDefinition {
  /** `Class.method`, for logs. */
  readonly name: string;
  readonly source: string;
  /** The event types it handles; `undefined` for all of the source's deliveries. */
  readonly events: ReadonlySet<string> | undefined;
  /** The class the payload is validated as; `undefined` for the raw parsed payload. */
  readonly dto: Type<object> | undefined;
  readonly invoke: (payload: unknown, context: unknown) => unknown;
}

/** The handlers found at start-up, by source. */
@Injectable()
export class WebhookHandlerRegistry {
  private readonly bySource = new Map<string, WebhookHandlerDefinition[]>();

  register(handlers: readonly WebhookHandlerDefinition[]): void {
    for (const handler of handlers) {
      const list = this.bySource.get(handler.source) ?? [];
      list.push(handler);
      this.bySource.set(handler.source, list);
    }
  }

  /** The handlers of a source's delivery of that event. */
  handlersFor(source: string, event: string | undefined): WebhookHandlerDefinition[] {
    const handlers = this.bySource.get(source) ?? [];
    return handlers.filter((handler) => !handler.events || (event !== undefined && handler.events.has(event)));
  }
}
