import {
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Post,
  Req,
  Res,
  SetMetadata,
  UseGuards,
  type Type,
} from '@nestjs/common';
import { WebhookConfigurationError } from '../core/errors/index.js';
import { guardDidNotRun } from '../core/errors/webhook.messages.js';
import { verifiedOf } from './verified-requests.js';
import { sendAnswer } from './webhook-answer.js';
import { WebhookHttpAdapterHost } from './webhook-http-adapter.host.js';
import { WebhookOutcomeRecorder } from './webhook-outcome-recorder.service.js';
import { WebhookProcessing, type WebhookAnswer } from './webhook-processing.service.js';
import { WebhookSignatureGuard } from './webhook-signature.guard.js';

/**
 * The built-in routes, `POST /<path>/:source` and `POST /<path>/:source/:tenant` (and GET,
 * for senders that deliver with it). 200 on success unless the sender expects another answer
 * (a handshake, Discord's 204, a responding handler's): senders retry on anything else, 201
 * included. `routeMetadata` is set on the class, where guards that read `[handler, class]`
 * metadata find it.
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
      readonly recorder: WebhookOutcomeRecorder,
      readonly adapters: WebhookHttpAdapterHost,
    ) {}

    @Post([':source', ':source/:tenant'])
    @HttpCode(HttpStatus.OK)
    receive(@Req() request: object, @Res() response: object): Promise<void> {
      return this.answer(request, response);
    }

    @Get([':source', ':source/:tenant'])
    @HttpCode(HttpStatus.OK)
    receiveGet(@Req() request: object, @Res() response: object): Promise<void> {
      return this.answer(request, response);
    }

    /**
     * The route sends its answer itself (`@Res()`): the sender's answer is the module's to
     * make, and written directly it costs no serializer and no ETag per delivery. A refusal
     * is thrown, for Nest's exception filters to answer as usual.
     */
    async answer(request: object, response: object): Promise<void> {
      const attempt = verifiedOf(request);
      if (!attempt) throw new WebhookConfigurationError(guardDidNotRun());
      let answer: WebhookAnswer;
      try {
        answer = await this.processing.receive(attempt);
      } catch (error) {
        throw this.recorder.toHttpError(attempt, error);
      }
      sendAnswer(this.adapters.get(), response, answer);
    }
  }
  for (const [key, value] of Object.entries(routeMetadata)) SetMetadata(key, value)(WebhooksController);
  return WebhooksController;
}
