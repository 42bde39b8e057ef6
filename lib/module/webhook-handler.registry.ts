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
  /** Whether what it returns is the answer sent to the sender. */
  readonly respond: boolean;
  readonly invoke: (payload: unknown, context: unknown) => unknown;
}

const NONE: readonly WebhookHandlerDefinition[] = [];

/** The handlers found at start-up, by source (and, per source, by event once asked). */
@Injectable()
export class WebhookHandlerRegistry {
  private readonly bySource = new Map<string, WebhookHandlerDefinition[]>();
  /** The handler lists already worked out, per source and event: the request path filters nothing. */
  private readonly byEvent = new Map<string, Map<string | undefined, readonly WebhookHandlerDefinition[]>>();

  register(handlers: readonly WebhookHandlerDefinition[]): void {
    for (const handler of handlers) {
      const list = this.bySource.get(handler.source) ?? [];
      list.push(handler);
      this.bySource.set(handler.source, list);
    }
    this.byEvent.clear();
  }

  /** The handlers of a source's delivery of that event. */
  handlersFor(source: string, event: string | undefined): readonly WebhookHandlerDefinition[] {
    let events = this.byEvent.get(source);
    if (!events) {
      events = new Map();
      this.byEvent.set(source, events);
    }
    let handlers = events.get(event);
    if (!handlers) {
      const all = this.bySource.get(source) ?? NONE;
      handlers = all.filter((handler) => !handler.events || (event !== undefined && handler.events.has(event)));
      // Bounded: a sender that invents event names cannot grow this map without end.
      if (events.size < 1000) events.set(event, handlers);
    }
    return handlers;
  }

  /** Whether a handler of that delivery answers the sender (it then runs in the request, in queue mode too). */
  hasResponder(source: string, event: string | undefined): boolean {
    return this.handlersFor(source, event).some((handler) => handler.respond);
  }
}
