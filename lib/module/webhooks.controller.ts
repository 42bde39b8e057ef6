import { Controller, Get, HttpCode, HttpStatus, Post, Req, SetMetadata, UseGuards, type Type } from '@nestjs/common';
import { rejectionContextOf, verifiedOf } from './verified-requests.js';
import { WebhookProcessing } from './webhook-processing.service.js';
import { WebhookRejections } from './webhook-rejections.service.js';
import { WebhookSignatureGuard } from './webhook-signature.guard.js';

/** The answer to an accepted delivery. */
export interface WebhookReceipt {
  readonly received: true;
  readonly deliveryId: string;
  /** How many handlers ran (0 when queued or a duplicate). */
  readonly handled: number;
  /** Set when the delivery was handled before: no handler ran again. */
  readonly duplicate?: true;
  /** Set in queue mode: the delivery is safely queued and the workers will handle it. */
  readonly queued?: true;
}

/**
 * The built-in routes, `POST /<path>/:source` and `POST /<path>/:source/:tenant` (and
 * GET, for senders that deliver with it). Always 200 on success: senders retry on
 * anything else, 201 included. `routeMetadata` is set on the class, where guards that
 * read `[handler, class]` metadata find it.
 */
export function createWebhooksController(
  path: string,
  routeMetadata: Readonly<Record<string, unknown>> = {},
): Type<unknown> {
  @Controller(path)
  @UseGuards(WebhookSignatureGuard)
  class WebhooksController {
    constructor(
      readonly processing: WebhookProcessing,
      readonly rejections: WebhookRejections,
    ) {}

    @Post([':source', ':source/:tenant'])
    @HttpCode(HttpStatus.OK)
    receive(@Req() request: object): Promise<WebhookReceipt> {
      return this.handle(request);
    }

    @Get([':source', ':source/:tenant'])
    @HttpCode(HttpStatus.OK)
    receiveGet(@Req() request: object): Promise<WebhookReceipt> {
      return this.handle(request);
    }

    async handle(request: object): Promise<WebhookReceipt> {
      const verified = verifiedOf(request);
      if (!verified) throw new Error('WebhookSignatureGuard did not run before the webhook route.');
      try {
        return await this.processing.receive(verified);
      } catch (error) {
        throw this.rejections.toException(error, rejectionContextOf(verified));
      }
    }
  }
  for (const [key, value] of Object.entries(routeMetadata)) SetMetadata(key, value)(WebhooksController);
  return WebhooksController;
}
