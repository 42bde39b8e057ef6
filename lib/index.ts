// The one entry point of nestjs-signed-webhooks: the public API and nothing else.

// Framework-free verification core
export { verifyWebhook, signWebhook } from './core/verify-webhook.js';
export type { VerifyWebhookOptions, SignWebhookOptions } from './core/verify-webhook.js';
export { WebhookVerifier, DEFAULT_TOLERANCE_SECONDS } from './core/webhook-verifier.js';
export type { WebhookVerifierOptions, WebhookSignOptions } from './core/webhook-verifier.js';
export {
  WebhookVerificationError,
  WEBHOOK_VERIFICATION_REASONS,
  type WebhookVerificationReason,
} from './core/webhook-verification.error.js';
export { WebhookPayloadError, type WebhookPayloadReason } from './core/webhook-payload.error.js';
export { WebhookConfigurationError } from './core/webhook-configuration.error.js';
export type {
  WebhookProvider,
  VerifiedWebhook,
  SignedWebhook,
  WebhookCredentials,
  VerificationPolicy,
  ProviderSignInput,
  WebhookMethod,
} from './core/webhook-provider.js';
export { IncomingWebhook } from './core/incoming-webhook.js';
export { HeaderReader, type WebhookHeaders } from './core/headers.js';
export type { WebhookSecret, WebhookSecretEntry, ExpiringWebhookSecret } from './core/secrets.js';
export type { WebhookAttachment, WebhookAttachmentInput } from './core/webhook-attachment.js';
export type { ParsedWebhookBody } from './core/webhook-body.js';
export type { HmacAlgorithm, SignatureEncoding } from './core/crypto.js';

// Senders
export { hmacProvider, type HmacProviderOptions } from './providers/hmac.provider.js';
export { BUILT_IN_PROVIDERS, type BuiltInProviderName, type WebhookProviderRef } from './providers/index.js';

// The NestJS module
export { WebhooksModule } from './module/webhooks.module.js';
export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_WEBHOOKS_PATH,
  type WebhooksModuleOptions,
  type WebhookSourceOptions,
  DEFAULT_SECRET_CACHE_SECONDS,
  type WebhooksModuleExtras,
  type WebhooksOptionsFactory,
  type WebhookSecretResolver,
  type WebhookSecretContext,
  type WebhookSelfCheckMode,
} from './module/webhooks.options.js';
export { WebhookSelfCheckError } from './module/self-check/webhook-self-check.service.js';
export { WEBHOOKS_MODULE_OPTIONS } from './module/webhooks.constants.js';
export { WebhookHandler, type WebhookHandlerOptions } from './module/webhook-handler.decorator.js';
export { WebhookSource, WebhookDelivery } from './module/webhook-source.decorator.js';
export { WebhookSignatureGuard } from './module/webhook-signature.guard.js';
export {
  WebhookSigner,
  type WebhookSignerOptions,
  type SignedWebhookRequest,
} from './module/webhook-signer.service.js';
export type { WebhookContext, VerifiedWebhookRequest } from './module/webhook-context.js';
export type { WebhookReceipt } from './module/webhooks.controller.js';
export type { WebhookRejectionReason } from './module/webhook-rejection.js';
export {
  WebhookRoutingError,
  WebhookHandlerError,
  WebhookSecretResolutionError,
  type WebhookHandlerFailure,
  type WebhookRoutingReason,
} from './module/webhooks.errors.js';

// Observability
export {
  WebhookEvents,
  MASKED_HEADER_VALUE,
  type WebhookOutcome,
  type WebhookOutcomeEvent,
  type WebhookDurations,
  type WebhookHandlerRun,
} from './module/webhook-events.js';
export { WebhookBodyError, type WebhookBodyReason } from './http/webhook-body.error.js';

// Never twice, never lost: de-duplication, queue mode, dead letters
export { WebhookDeliveries, type ReplayResult, type ReplayOptions } from './module/webhook-deliveries.service.js';
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
export type { WebhookQueueOptions, FailedDelivery, JobRetention } from './deliveries/webhook-queue.js';
export { WebhookDeliveryError, type WebhookDeliveryReason } from './deliveries/webhook-delivery.error.js';

// The deliveries dashboard
export {
  DEFAULT_DASHBOARD_MAX_ENTRIES,
  type WebhookDashboardOptions,
  type WebhookDashboardRequest,
} from './dashboard/dashboard.options.js';
export type {
  DashboardOverview,
  DashboardSourceOverview,
  DashboardOutcomeCounts,
  DashboardTimelineBucket,
  DashboardDeliveryList,
  DashboardDeliverySummary,
  DashboardDeliveryDetail,
  DashboardDeadLetters,
  DashboardDeadLetter,
  DashboardReplay,
} from './dashboard/dashboard.models.js';

// DTOs of the built-in senders
export * from './dtos/index.js';
