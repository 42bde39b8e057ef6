import type { WebhookHeaders } from './headers.js';

/** The value shown instead of a masked header's. */
export const MASKED_HEADER_VALUE = '[masked]';

/**
 * Header names masked whatever the sender (or none, for a request to an unknown source):
 * credentials, and anything named like a signature, token, secret or key.
 */
const SENSITIVE_HEADER_NAME = /signature|hmac|token|secret|auth|cookie|key|password|credential|session/i;

/**
 * Whether a header is kept from view (events, logs, the dashboard) and out of stored jobs:
 * by the sender's own list (lower-case names) or by its name.
 */
export function isSensitiveHeader(name: string, senderSensitive: readonly string[]): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_HEADER_NAME.test(lower) || senderSensitive.includes(lower);
}

/** A copy of `headers` with the sender's sensitive headers and anything named like a credential masked. */
export function maskHeaders(
  headers: WebhookHeaders,
  sensitive: readonly string[],
): Record<string, string | readonly string[]> {
  const masked: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    masked[name] = isSensitiveHeader(name, sensitive) ? MASKED_HEADER_VALUE : value;
  }
  return masked;
}
