import type { BinaryLike } from 'node:crypto';
import {
  bytesEqual,
  decodeSignature,
  digestLength,
  hmac,
  type HmacAlgorithm,
  type SignatureEncoding,
} from './crypto.js';
import { WebhookConfigurationError } from './webhook-configuration.error.js';
import { WebhookVerificationError } from './webhook-verification.error.js';

/** How one sender writes an HMAC signature. */
export interface HmacScheme {
  readonly algorithm: HmacAlgorithm;
  readonly encoding: SignatureEncoding;
}

/**
 * Decodes a received signature, then accepts it if any key's HMAC over `signedParts`
 * equals it in constant time. Returns the decoded signature (for digest ids).
 */
export function verifyHmacSignature(
  received: string,
  header: string,
  scheme: HmacScheme,
  keys: readonly Buffer[],
  signedParts: readonly BinaryLike[],
): Buffer {
  const signature = decodeSignature(received, scheme.encoding, digestLength(scheme.algorithm));
  if (!signature) {
    throw new WebhookVerificationError(
      'malformed_signature',
      `The ${header} header is not a ${scheme.encoding} ${scheme.algorithm.toUpperCase()} signature.`,
    );
  }
  // Every key is tried, so the time taken does not tell which one matched.
  let matched = false;
  for (const key of keys) {
    if (bytesEqual(hmac(scheme.algorithm, key, ...signedParts), signature)) matched = true;
  }
  if (!matched) {
    throw new WebhookVerificationError('invalid_signature', `The ${header} header does not match the delivery.`);
  }
  return signature;
}

/** Shared-secret keys as bytes; at least one secret is required. */
export function prepareSharedSecrets(secrets: readonly string[], providerName: string): Buffer[] {
  if (secrets.length === 0) {
    throw new WebhookConfigurationError(`The ${providerName} provider needs a secret.`);
  }
  return secrets.map((secret) => Buffer.from(secret, 'utf8'));
}

/** The first key, the one new deliveries are signed with. */
export function signingKey<T>(keys: readonly T[], providerName: string): T {
  const key = keys[0];
  if (key === undefined)
    throw new WebhookConfigurationError(`The ${providerName} provider has no secret to sign with.`);
  return key;
}
