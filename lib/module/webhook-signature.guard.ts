import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IncomingWebhook } from '../core/incoming-webhook.js';
import { WebhookConfigurationError } from '../core/webhook-configuration.error.js';
import { rememberVerified } from './verified-requests.js';
import { WebhookEvents } from './webhook-events.js';
import { WebhookHttpAdapterHost } from './webhook-http-adapter.host.js';
import { WebhookRejections } from './webhook-rejections.service.js';
import { WebhookSources } from './webhook-sources.js';
import { isInternalSource, WEBHOOK_SOURCE_METADATA } from './webhooks.constants.js';
import { noSourceForGuard } from './webhooks.messages.js';

/**
 * Verifies a delivery from its exact bytes before anything else touches it: the
 * source comes from `@WebhookSource()` or the `:source` route parameter, the tenant
 * from the `:tenant` one. A refused delivery gets its status (401, 404, 405, 413, 500)
 * and one log line.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sources: WebhookSources,
    private readonly adapters: WebhookHttpAdapterHost,
    private readonly rejections: WebhookRejections,
    private readonly events: WebhookEvents,
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
    const tenant = info.param('tenant');
    let delivery: IncomingWebhook | undefined;
    try {
      const source = this.sources.route(sourceName, info.method, tenant);
      // The secret first: an unknown tenant or a failing resolver is answered without reading the body.
      const resolveStart = performance.now();
      const verifier = await source.verifierFor(tenant, info.headers);
      const resolveMs = performance.now() - resolveStart;
      delivery = new IncomingWebhook(info.headers, await adapter.readBody(request, this.sources.maxBodyBytes));
      const verifyStart = performance.now();
      const verified = verifier.verifyDelivery(delivery);
      const verifyMs = resolveMs + performance.now() - verifyStart;
      rememberVerified(request, { source, tenant, delivery, verified, verifyMs });
      // The self-check's deliveries are not deliveries: no event, like no store and no handler.
      if (!isInternalSource(source.name))
        this.events.emit({
          outcome: 'verified',
          source: source.name,
          tenant,
          deliveryId: verified.deliveryId,
          event: verified.event,
          durations: { verifyMs },
          headers: info.headers,
          sensitiveHeaders: source.provider.sensitiveHeaders,
          rawBody: delivery.rawBody,
        });
      return true;
    } catch (error) {
      throw this.rejections.toException(error, {
        source: sourceName,
        tenant,
        headers: info.headers,
        sensitiveHeaders: this.sources.find(sourceName)?.provider.sensitiveHeaders,
        rawBody: delivery?.rawBody,
      });
    }
  }
}
