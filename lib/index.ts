// `nestjs-signed-webhooks`: the NestJS module, its decorators, services and DTOs, and the core's names.

// The framework-free core and every preset (also on their own: `nestjs-signed-webhooks/core`)
export * from './entries/core.js';

// The NestJS module
export { WebhooksModule } from './module/webhooks.module.js';
export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_WEBHOOKS_PATH,
  type WebhooksModuleOptions,
  type WebhookSourceOptions,
  DEFAULT_SECRET_CACHE_SECONDS,
  DEFAULT_SECRET_RESOLVER_CONCURRENCY,
  type ResolvedWebhookSecrets,
  type WebhooksModuleExtras,
  type WebhooksOptionsFactory,
  type WebhookSecretResolver,
  type WebhookSecretContext,
  type WebhookSelfCheckMode,
} from './module/webhooks.options.js';
export { WEBHOOKS_MODULE_OPTIONS } from './module/webhooks.constants.js';
export { WebhookHandler, type WebhookHandlerOptions } from './module/webhook-handler.decorator.js';
export { WebhookRoute, WebhookDelivery } from './module/webhook-route.decorator.js';
export { WebhookSignatureGuard } from './module/webhook-signature.guard.js';
export { WebhookRouteInterceptor } from './module/webhook-route.interceptor.js';
export {
  WebhookSigner,
  type WebhookSignerOptions,
  type SignedWebhookRequest,
} from './module/webhook-signer.service.js';
export type { WebhookContext } from './module/webhook-context.js';
export type { WebhookReceipt, WebhookAnswer } from './module/webhook-processing.service.js';

// Observability
export {
  WebhookEvents,
  type WebhookOutcome,
  type WebhookOutcomeEvent,
  type WebhookOutcomeListener,
} from './module/webhook-events.js';

// Never twice, never lost: de-duplication, queue mode, dead letters
export {
  WebhookDeliveries,
  type ReplayResult,
  type ReplayOptions,
  type WebhookHealthOptions,
} from './module/webhook-deliveries.service.js';
export type {
  WebhookDeliveriesHealth,
  WebhookQueueHealth,
  WebhookQueueHealthDown,
  WebhookQueueHealthUp,
  WebhookStoreHealth,
} from './deliveries/delivery-health.js';
export type { WebhookDeliveriesOptions } from './module/webhooks.options.js';
export {
  deliveryKey,
  type DeliveryClaim,
  type DeliveryClaimState,
  type DeliveryProgress,
  type DeliveryStore,
} from './deliveries/delivery-store.js';
export { MemoryDeliveryStore, type MemoryDeliveryStoreOptions } from './deliveries/memory-delivery.store.js';
export type { RedisConnection, RedisConnectionOptions } from './deliveries/redis-connection.options.js';
export type { WebhookQueueOptions, WebhookQueueCounts, JobRetention } from './deliveries/webhook-queue.js';
export type { FailedDelivery } from './deliveries/dead-letters.js';

// DTOs of the built-in senders
export * from './dtos/index.js';
