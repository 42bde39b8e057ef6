import { Inject, Injectable, Logger, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { WebhookConfigurationError } from '../core/errors/index.js';
import {
  handlerForUnknownSource,
  handlerDtoUnknown,
  requestScopedHandler,
  respondersOverlap,
} from '../core/errors/webhook.messages.js';
import { WebhookHandlerMetadataAccessor } from './webhook-handler.accessor.js';
import type { WebhookHandlerMetadata } from './webhook-handler.decorator.js';
import { WebhookHandlerRegistry, type WebhookHandlerDefinition } from './webhook-handler.registry.js';
import { WebhookSources } from './webhook-sources.js';
import { WEBHOOKS_LOGGER_CONTEXT, WEBHOOKS_MODULE_OPTIONS } from './webhooks.constants.js';
import type { WebhooksModuleOptions } from './webhooks.options.js';

/** Parameter types that carry no shape to validate: the handler gets the parsed payload as is. */
const UNVALIDATED_TYPES: ReadonlySet<unknown> = new Set([
  Object,
  String,
  Number,
  Boolean,
  Array,
  Buffer,
  Function,
  Promise,
]);

type HandlerMethod = (...args: never[]) => unknown;

/** Finds every `@WebhookHandler()` method once, at start-up, and registers them. */
@Injectable()
export class WebhooksExplorer implements OnModuleInit {
  private readonly logger = new Logger(WEBHOOKS_LOGGER_CONTEXT);

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: WebhookHandlerMetadataAccessor,
    private readonly sources: WebhookSources,
    private readonly registry: WebhookHandlerRegistry,
    @Inject(WEBHOOKS_MODULE_OPTIONS) private readonly options: WebhooksModuleOptions,
  ) {}

  onModuleInit(): void {
    const handlers = this.explore();
    checkResponders(handlers);
    this.registry.register(handlers);
  }

  /** Every handler on every provider, as plain data. */
  explore(): WebhookHandlerDefinition[] {
    const found: WebhookHandlerDefinition[] = [];
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      // useExisting aliases point at an instance found under its own token.
      if (wrapper.isAlias) continue;
      const instance: unknown = wrapper.instance;
      if (typeof instance !== 'object' || instance === null || seen.has(instance)) continue;
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = prototype[methodName] as HandlerMethod;
        const entries = this.accessor.handlersOf(method);
        if (entries.length === 0) continue;
        const className = instance.constructor?.name ?? String(wrapper.name);
        if (!wrapper.isDependencyTreeStatic()) {
          this.logger.warn(requestScopedHandler(className));
          break;
        }
        for (const entry of entries) {
          found.push(this.define(entry, instance as Record<string, HandlerMethod>, prototype, className, methodName));
        }
      }
    }
    return found;
  }

  private define(
    entry: WebhookHandlerMetadata,
    instance: Record<string, HandlerMethod>,
    prototype: object,
    className: string,
    methodName: string,
  ): WebhookHandlerDefinition {
    const name = `${className}.${methodName}`;
    if (!this.sources.find(entry.source)) {
      throw new WebhookConfigurationError(handlerForUnknownSource(name, entry.source, this.sources.names()));
    }
    return {
      name,
      source: entry.source,
      events: entry.events ? new Set(entry.events) : undefined,
      dto: this.dtoOf(entry, prototype, methodName, name),
      respond: entry.respond,
      invoke: (payload, context) => (instance[methodName] as (...args: unknown[]) => unknown)(payload, context),
    };
  }

  /**
   * The class the payload is validated as: the `dto` option, else the first parameter's type
   * as `emitDecoratorMetadata` recorded it. A build without that metadata would otherwise hand
   * the handler unvalidated JSON typed as its DTO, silently: it is a warning, or with
   * `strictDtos` a start-up error.
   */
  private dtoOf(entry: WebhookHandlerMetadata, prototype: object, methodName: string, name: string) {
    const declared = entry.dto ?? parameterTypeOf(prototype, methodName);
    if (declared === undefined) {
      const message = handlerDtoUnknown(name);
      if (this.options.strictDtos) throw new WebhookConfigurationError(message);
      this.logger.warn(message);
      return undefined;
    }
    return declared !== null && !UNVALIDATED_TYPES.has(declared) ? (declared as Type<object>) : undefined;
  }
}

/**
 * The first parameter's recorded type; `null` for a method recorded without parameters, and
 * `undefined` when nothing was recorded at all (a build without `emitDecoratorMetadata`).
 */
function parameterTypeOf(prototype: object, methodName: string): unknown {
  const types = Reflect.getMetadata('design:paramtypes', prototype, methodName) as unknown[] | undefined;
  if (types === undefined) return undefined;
  return typeof types[0] === 'function' ? types[0] : null;
}

/** At most one handler answers the sender per source and event: two would race to answer. */
function checkResponders(handlers: readonly WebhookHandlerDefinition[]): void {
  const responders = handlers.filter((handler) => handler.respond);
  for (const [index, first] of responders.entries()) {
    for (const second of responders.slice(index + 1)) {
      if (first.source !== second.source) continue;
      const overlap = !first.events || !second.events || [...first.events].some((event) => second.events!.has(event));
      if (overlap) throw new WebhookConfigurationError(respondersOverlap(first.source, first.name, second.name));
    }
  }
}
