import { Controller, Get, HttpCode, HttpStatus, Post, Req, UseGuards, type Type } from '@nestjs/common';
import { verifiedOf } from './verified-requests.js';
import { WebhookDispatcher } from './webhook.dispatcher.js';
import { WebhookRejections } from './webhook-rejections.service.js';
import { WebhookSignatureGuard } from './webhook-signature.guard.js';

/** The answer to an accepted delivery. */
export interface WebhookReceipt {
  readonly received: true;
  readonly deliveryId: string;
  /** How many handlers ran. */
  readonly handled: number;
}

/**
 * The built-in route, `POST /<path>/:source` (and GET, for senders that deliver with
 * it). Always 200 on success: senders retry on anything else, 201 included.
 */
export function createWebhooksController(path: string): Type<unknown> {
  @Controller(path)
  @UseGuards(WebhookSignatureGuard)
  class WebhooksController {
    constructor(
      readonly dispatcher: WebhookDispatcher,
      readonly rejections: WebhookRejections,
    ) {}

    @Post(':source')
    @HttpCode(HttpStatus.OK)
    receive(@Req() request: object): Promise<WebhookReceipt> {
      return this.handle(request);
    }

    @Get(':source')
    @HttpCode(HttpStatus.OK)
    receiveGet(@Req() request: object): Promise<WebhookReceipt> {
      return this.handle(request);
    }

    async handle(request: object): Promise<WebhookReceipt> {
      const verified = verifiedOf(request);
      if (!verified) throw new Error('WebhookSignatureGuard did not run before the webhook route.');
      try {
        const handled = await this.dispatcher.dispatch(verified);
        return { received: true, deliveryId: verified.verified.deliveryId, handled };
      } catch (error) {
        throw this.rejections.toException(error, verified.source.name, verified.verified.deliveryId);
      }
    }
  }
  return WebhooksController;
}
