import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { WebhookDispatcher } from './webhook.dispatcher.js';
import { WebhookDeliveries } from './webhook-deliveries.service.js';
import { WebhookEvents } from './webhook-events.js';
import { WebhookSelfCheck } from './self-check/webhook-self-check.service.js';
import { WebhookProcessing } from './webhook-processing.service.js';
import { WebhookHandlerMetadataAccessor } from './webhook-handler.accessor.js';
import { WebhookHandlerRegistry } from './webhook-handler.registry.js';
import { WebhookHttpAdapterHost } from './webhook-http-adapter.host.js';
import { WebhookOutcomeRecorder } from './webhook-outcome-recorder.service.js';
import { WebhookRouteInterceptor } from './webhook-route.interceptor.js';
import { WebhookSignatureGuard } from './webhook-signature.guard.js';
import { WebhookSigner } from './webhook-signer.service.js';
import { WebhookSources } from './webhook-sources.js';
import { WebhookTracing } from './webhook-tracing.service.js';
import { ConfigurableWebhooksModule } from './webhooks.module-definition.js';
import { WebhooksExplorer } from './webhooks.explorer.js';

/**
 * Receives signed webhooks: serves `POST /webhooks/:source`, verifies every delivery from its
 * raw bytes, and dispatches it to `@WebhookHandler()` methods.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [WebhooksModule.forRoot({ sources: { stripe: { secret: process.env.STRIPE_WEBHOOK_SECRET } } })],
 *   providers: [PaymentHandlers],
 * })
 * export class AppModule {}
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    WebhookSources,
    WebhookHandlerMetadataAccessor,
    WebhookHandlerRegistry,
    WebhooksExplorer,
    WebhookDispatcher,
    WebhookProcessing,
    WebhookDeliveries,
    WebhookEvents,
    WebhookOutcomeRecorder,
    WebhookTracing,
    WebhookHttpAdapterHost,
    WebhookSignatureGuard,
    WebhookRouteInterceptor,
    WebhookSigner,
    WebhookSelfCheck,
  ],
  exports: [
    WebhookSigner,
    WebhookDeliveries,
    WebhookEvents,
    // What @WebhookRoute() applies to the application's own controllers, and what they need.
    WebhookSignatureGuard,
    WebhookRouteInterceptor,
    WebhookSources,
    WebhookHttpAdapterHost,
    WebhookOutcomeRecorder,
    WebhookTracing,
    WebhookProcessing,
  ],
})
export class WebhooksModule extends ConfigurableWebhooksModule {}
