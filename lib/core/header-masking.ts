import type { WebhookHeaders } from './headers.js';

/** The value shown instead of a masked header's. */
export const MASKED_HEADER_VALUE = '[masked]';

/**
 * Header names masked whatever the sender (or none, for a request to an unknown source):
 * credentials, and anything named like a signature, token, secret or key.
 */
const SENSITIVE_HEADER_NAME = /signature|hmac|token|secret|auth|cookie|key|password|credential|session/i;

/** What a sender says of its own headers (lower-case names), as its provider declares them. */
export interface SenderHeaderNames {
  /** Headers that carry a signature or token: always masked. */
  readonly sensitive: readonly string[];
  /**
   * The sender's other headers, known to hold nothing secret (an id, an event, a timestamp):
   * never masked, even when named like a credential (`Idempotency-Key`, `X-Signature-Timestamp`).
   */
  readonly declared?: readonly string[];
}

/**
 * Whether a header is kept from view (events, logs, the dashboard) and out of stored jobs: by
 * the sender's own lists, else by its name (for headers nobody declared, and unknown senders).
 */
export function isSensitiveHeader(name: string, sender: SenderHeaderNames): boolean {
  const lower = name.toLowerCase();
  if (sender.sensitive.includes(lower)) return true;
  if (sender.declared?.includes(lower)) return false;
  return SENSITIVE_HEADER_NAME.test(lower);
}

/** A copy of `headers` with the sender's sensitive headers and anything named like a credential masked. */
export function maskHeaders(
  headers: WebhookHeaders,
  sender: SenderHeaderNames,
): Record<string, string | readonly string[]> {
  const masked: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    masked[name] = isSensitiveHeader(name, sender) ? MASKED_HEADER_VALUE : value;
  }
  return masked;
}
