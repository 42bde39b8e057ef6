import { Controller, Get, HttpCode, HttpStatus, Post, Req, UseGuards, type Type } from '@nestjs/common';
import { verifiedOf } from './verified-requests.js';
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
 * The built-in route, `POST /<path>/:source` (and GET, for senders that deliver with
 * it). Always 200 on success: senders retry on anything else, 201 included.
 */
export function createWebhooksController(path: string): Type<unknown> {
  @Controller(path)
  @UseGuards(WebhookSignatureGuard)
  class WebhooksController {
    constructor(
      readonly processing: WebhookProcessing,
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
        return await this.processing.receive(verified);
      } catch (error) {
        throw this.rejections.toException(error, verified.source.name, verified.verified.deliveryId);
      }
    }
  }
  return WebhooksController;
}
