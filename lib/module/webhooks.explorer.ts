import { Injectable, Logger, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { WebhookConfigurationError } from '../core/webhook-configuration.error.js';
import { WebhookHandlerMetadataAccessor } from './webhook-handler.accessor.js';
import type { WebhookHandlerMetadata } from './webhook-handler.decorator.js';
import { WebhookHandlerRegistry, type WebhookHandlerDefinition } from './webhook-handler.registry.js';
import { WebhookSources } from './webhook-sources.js';
import { WEBHOOKS_LOGGER_CONTEXT } from './webhooks.constants.js';
import { handlerForUnknownSource, requestScopedHandler } from './webhooks.messages.js';

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
  ) {}

  onModuleInit(): void {
    this.registry.register(this.explore());
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
      dto: entry.dto ?? payloadTypeOf(prototype, methodName),
      invoke: (payload, context) => (instance[methodName] as (...args: unknown[]) => unknown)(payload, context),
    };
  }
}

/** The class of the method's first parameter, when it is one worth validating as a DTO. */
function payloadTypeOf(prototype: object, methodName: string): Type<object> | undefined {
  const types = Reflect.getMetadata('design:paramtypes', prototype, methodName) as unknown[] | undefined;
  const first = types?.[0];
  return typeof first === 'function' && !UNVALIDATED_TYPES.has(first) ? (first as Type<object>) : undefined;
}
