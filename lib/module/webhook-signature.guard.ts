import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IncomingWebhook } from '../core/incoming-webhook.js';
import { WebhookConfigurationError } from '../core/webhook-configuration.error.js';
import { rememberVerified } from './verified-requests.js';
import { WebhookHttpAdapterHost } from './webhook-http-adapter.host.js';
import { WebhookRejections } from './webhook-rejections.service.js';
import { WebhookSources } from './webhook-sources.js';
import { WEBHOOK_SOURCE_METADATA } from './webhooks.constants.js';
import { noSourceForGuard } from './webhooks.messages.js';

/**
 * Verifies a delivery from its exact bytes before anything else touches it: the
 * source comes from `@WebhookSource()` or the `:source` route parameter. A refused
 * delivery gets its status (401, 404, 405, 413, 500) and one log line.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sources: WebhookSources,
    private readonly adapters: WebhookHttpAdapterHost,
    private readonly rejections: WebhookRejections,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<object>();
    const adapter = this.adapters.get();
    const info = adapter.describe(request);
    const sourceName =
      this.reflector.getAllAndOverride<string | undefined>(WEBHOOK_SOURCE_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ?? info.param('source');
    if (sourceName === undefined) {
      throw new WebhookConfigurationError(noSourceForGuard(`${context.getClass().name}.${context.getHandler().name}`));
    }
    let deliveryId: string | undefined;
    try {
      const source = this.sources.route(sourceName, info.method);
      const delivery = new IncomingWebhook(info.headers, await adapter.readBody(request, this.sources.maxBodyBytes));
      const verified = source.verifier.verifyDelivery(delivery);
      deliveryId = verified.deliveryId;
      rememberVerified(request, { source, delivery, verified });
      return true;
    } catch (error) {
      throw this.rejections.toException(error, sourceName, deliveryId);
    }
  }
}
