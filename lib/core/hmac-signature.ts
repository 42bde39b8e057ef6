import type { BinaryLike } from 'node:crypto';
import {
  bytesEqual,
  decodeSignature,
  digestLength,
  hmacOfParts,
  type HmacAlgorithm,
  type SignatureEncoding,
} from './crypto.js';
import { WebhookConfigurationError, WebhookVerificationError } from './errors/index.js';
import {
  noSignatureMatches,
  noSigningSecret,
  secretRequired,
  signatureMalformed,
  signatureMismatch,
  tooManySignatures,
} from './errors/webhook.messages.js';

/** How one sender writes an HMAC signature. */
export interface HmacScheme {
  readonly algorithm: HmacAlgorithm;
  readonly encoding: SignatureEncoding;
}

/** What {@link verifyHmacCandidates} checks. */
export interface HmacCandidates {
  /** The header the signatures came from, for messages. */
  readonly header: string;
  /** The signatures as received (without their `v1=`-style prefix): each one may match. */
  readonly candidates: readonly string[];
  readonly scheme: HmacScheme;
  /** The secrets as HMAC keys (see {@link prepareSharedSecrets}). */
  readonly keys: readonly Buffer[];
  /** The signed content, in order, as the sender assembles it; never copied into one buffer. */
  readonly signedParts: readonly BinaryLike[];
}

/** More signatures than any rotation needs: a longer list is refused before any work is done for it. */
export const MAX_SIGNATURE_CANDIDATES = 16;

/**
 * Accepts a delivery when any candidate signature equals the HMAC of the signed content under
 * any key. Each key's HMAC is computed once, however many candidates there are; every
 * comparison is constant-time and every one is made, so timing tells neither which key nor
 * which candidate matched. Candidates that are not `scheme.encoding` of the right length are
 * skipped; when none is well formed the header is malformed.
 *
 * @returns the decoded signature that matched (for a digest delivery id).
 * @throws WebhookVerificationError `malformed_signature` or `invalid_signature`.
 *
 * @example A `t=<unix>,v1=<hex>,v1=<hex>` header over `<t>.<body>`
 * ```ts
 * const entries = parseKeyValueList(header, ',');
 * verifyHmacCandidates({
 *   header: 'acme-signature',
 *   candidates: entries.all('v1'),
 *   scheme: { algorithm: 'sha256', encoding: 'hex' },
 *   keys,
 *   signedParts: [entries.first('t') ?? '', '.', delivery.rawBody],
 * });
 * ```
 */
export function verifyHmacCandidates(check: HmacCandidates): Buffer {
  const { header, scheme, candidates } = check;
  if (candidates.length > MAX_SIGNATURE_CANDIDATES) {
    throw new WebhookVerificationError('malformed_signature', tooManySignatures(header, MAX_SIGNATURE_CANDIDATES));
  }
  if (candidates.length === 1)
    return verifyHmacSignature(candidates[0]!, header, scheme, check.keys, check.signedParts);
  const length = digestLength(scheme.algorithm);
  const decoded: Buffer[] = [];
  for (const candidate of candidates) {
    const signature = decodeSignature(candidate, scheme.encoding, length);
    if (signature) decoded.push(signature);
  }
  if (decoded.length === 0) throw malformed(header, scheme);
  const expected = check.keys.map((key) => hmacOfParts(scheme.algorithm, key, check.signedParts));
  let matched: Buffer | undefined;
  for (const signature of decoded) {
    for (const digest of expected) if (bytesEqual(digest, signature)) matched ??= signature;
  }
  if (!matched) {
    const message = candidates.length > 1 ? noSignatureMatches(header) : signatureMismatch(header);
    throw new WebhookVerificationError('invalid_signature', message);
  }
  return matched;
}

/**
 * {@link verifyHmacCandidates} for a header that carries exactly one signature: the same checks
 * and messages, without the lists a rotation's several signatures need. Every key's HMAC is
 * computed and compared in constant time, whichever matches.
 */
export function verifyHmacSignature(
  received: string,
  header: string,
  scheme: HmacScheme,
  keys: readonly Buffer[],
  signedParts: readonly BinaryLike[],
): Buffer {
  const signature = decodeSignature(received, scheme.encoding, digestLength(scheme.algorithm));
  if (!signature) throw malformed(header, scheme);
  let matched = false;
  for (let index = 0; index < keys.length; index += 1) {
    if (bytesEqual(hmacOfParts(scheme.algorithm, keys[index]!, signedParts), signature)) matched = true;
  }
  if (!matched) throw new WebhookVerificationError('invalid_signature', signatureMismatch(header));
  return signature;
}

function malformed(header: string, scheme: HmacScheme): WebhookVerificationError {
  return new WebhookVerificationError(
    'malformed_signature',
    signatureMalformed(header, scheme.encoding, scheme.algorithm),
  );
}

/** Shared secrets as HMAC keys (their UTF-8 bytes); at least one secret is required. */
export function prepareSharedSecrets(secrets: readonly string[], providerName: string): Buffer[] {
  if (secrets.length === 0) throw new WebhookConfigurationError(secretRequired(providerName));
  return secrets.map((secret) => Buffer.from(secret, 'utf8'));
}

/** The first key, the one new deliveries are signed with. */
export function signingKey<T>(keys: readonly T[], providerName: string): T {
  const key = keys[0];
  if (key === undefined) throw new WebhookConfigurationError(noSigningSecret(providerName));
  return key;
}
