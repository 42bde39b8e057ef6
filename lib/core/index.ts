// The framework-free core: verification, signing, the provider interface and the helpers
// senders are written with. Nothing here imports NestJS, a validator, rxjs or a sender.

export { verifyWebhook, signWebhook, type VerifyWebhookOptions, type SignWebhookOptions } from './verify-webhook.js';
export {
  WebhookVerifier,
  DEFAULT_TOLERANCE_SECONDS,
  type WebhookVerifierOptions,
  type WebhookSignOptions,
  type WebhookRequestContext,
} from './webhook-verifier.js';
export * from './errors/index.js';

// The provider interface
export type {
  WebhookProvider,
  WebhookProviderSummary,
  WebhookExample,
  VerifiedWebhook,
  SignedWebhook,
  WebhookCredentials,
  VerificationPolicy,
  ProviderSignInput,
  WebhookMethod,
} from './webhook-provider.js';
export {
  registerWebhookProvider,
  findWebhookProvider,
  registeredProviderNames,
  resolveProvider,
  type WebhookProviderRef,
} from './provider-registry.js';
export { WebhookResponse, type WebhookResponseOptions } from './webhook-response.js';
export { IncomingWebhook, fieldOf, textFieldOf, type IncomingWebhookRequest } from './incoming-webhook.js';
export { HeaderReader, type WebhookHeaders } from './headers.js';
export { MASKED_HEADER_VALUE, maskHeaders, isSensitiveHeader, type SenderHeaderNames } from './header-masking.js';
export type { WebhookSecret, WebhookSecretEntry, ExpiringWebhookSecret } from './secrets.js';
export type { WebhookAttachment, WebhookAttachmentInput } from './webhook-attachment.js';
export { parseWebhookBody, requireJson, mediaTypeOf, isJsonMediaType, type ParsedWebhookBody } from './webhook-body.js';

// Helpers for writing a provider
export {
  hmac,
  hmacOfParts,
  bytesEqual,
  decodeSignature,
  decodeBase64,
  digestLength,
  signatureDigestId,
  bodyDigestId,
  type HmacAlgorithm,
  type SignatureEncoding,
} from './crypto.js';
export {
  verifyHmacCandidates,
  verifyHmacSignature,
  prepareSharedSecrets,
  signingKey,
  MAX_SIGNATURE_CANDIDATES,
  type HmacScheme,
  type HmacCandidates,
} from './hmac-signature.js';
export { parseKeyValueList, KeyValueList } from './key-value-list.js';
export { ed25519PublicKey, signingKeyOf } from './asymmetric-keys.js';
/** Every message text the presets use, for providers of your own that should read the same. */
export * as WebhookMessages from './errors/webhook.messages.js';
export { lazyVerifiedWebhook, type LazyWebhookFields, type EagerWebhookFields } from './lazy-verified-webhook.js';
export {
  assertWithinWindow,
  parseEpochTimestamp,
  parseEpochSeconds,
  parseEpochMilliseconds,
  parseIsoTimestamp,
  parseIsoOrEpochTimestamp,
  type WindowOptions,
} from './timestamp.js';
export { buildMultipart, parseMultipart, type MultipartField, type MultipartPart } from './multipart.js';
