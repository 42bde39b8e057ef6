import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { WEBHOOK_HANDLER_METADATA } from './webhooks.constants.js';
import type { WebhookHandlerMetadata } from './webhook-handler.decorator.js';

/** Reads what `@WebhookHandler()` recorded; nothing else. */
@Injectable()
export class WebhookHandlerMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  /** The handler registrations on a method (empty when it is no handler). */
  handlersOf(method: (...args: never[]) => unknown): readonly WebhookHandlerMetadata[] {
    return this.reflector.get<readonly WebhookHandlerMetadata[] | undefined>(WEBHOOK_HANDLER_METADATA, method) ?? [];
  }
}
