// Every error class of the library, on one base class, and every reason code.
export { WebhookError } from './webhook.error.js';
export { WebhookVerificationError } from './webhook-verification.error.js';
export { WebhookPayloadError } from './webhook-payload.error.js';
export { WebhookConfigurationError } from './webhook-configuration.error.js';
export { WebhookBodyError } from './webhook-body.error.js';
export { WebhookRoutingError } from './webhook-routing.error.js';
export { WebhookDeliveryError } from './webhook-delivery.error.js';
export { WebhookSecretResolutionError } from './webhook-secret-resolution.error.js';
export { WebhookSelfCheckError } from './webhook-self-check.error.js';
export {
  WebhookHandlerError,
  type WebhookHandlerFailure,
  type WebhookHandlerRun,
  type WebhookDurations,
} from './webhook-handler.error.js';
export { WEBHOOK_REASON_STATUS, statusOfReason } from './reason-status.js';
export {
  WEBHOOK_VERIFICATION_REASONS,
  type WebhookVerificationReason,
  type WebhookPayloadReason,
  type WebhookBodyReason,
  type WebhookRoutingReason,
  type WebhookDeliveryReason,
  type WebhookSecretResolutionReason,
  type WebhookHandlerReason,
  type WebhookRejectionReason,
  type WebhookSetupReason,
  type WebhookErrorReason,
} from './webhook-reasons.js';
