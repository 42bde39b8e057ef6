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

/** What a provider declares of its headers. */
interface DeclaringProvider {
  readonly sensitiveHeaders: readonly string[];
  readonly senderHeaders?: readonly string[];
}

const namesOfProviders = new WeakMap<DeclaringProvider, SenderHeaderNames>();

/** A provider's header lists as {@link SenderHeaderNames}: one object per provider, so verdicts on its names are remembered. */
export function senderHeaderNamesOf(provider: DeclaringProvider): SenderHeaderNames {
  let names = namesOfProviders.get(provider);
  if (!names) {
    names = { sensitive: provider.sensitiveHeaders, declared: provider.senderHeaders };
    namesOfProviders.set(provider, names);
  }
  return names;
}

/**
 * Verdicts already reached, per sender: the same few header names come with every delivery.
 * Bounded, since anyone can send headers of new names.
 */
const verdictsOfSenders = new WeakMap<SenderHeaderNames, Map<string, boolean>>();
const MAX_REMEMBERED_NAMES = 256;

/**
 * Whether a header is kept from view (events, logs, the dashboard) and out of stored jobs: by
 * the sender's own lists, else by its name (for headers nobody declared, and unknown senders).
 * Verdicts are remembered per `sender` object: change its lists by passing a new object.
 */
export function isSensitiveHeader(name: string, sender: SenderHeaderNames): boolean {
  return judgedHeader(name, sender, verdictsOf(sender));
}

function verdictsOf(sender: SenderHeaderNames): Map<string, boolean> {
  let verdicts = verdictsOfSenders.get(sender);
  if (!verdicts) {
    verdicts = new Map();
    verdictsOfSenders.set(sender, verdicts);
  }
  return verdicts;
}

function judgedHeader(name: string, sender: SenderHeaderNames, verdicts: Map<string, boolean>): boolean {
  const known = verdicts.get(name);
  if (known !== undefined) return known;
  const verdict = judgeHeader(name, sender);
  if (verdicts.size < MAX_REMEMBERED_NAMES) verdicts.set(name, verdict);
  return verdict;
}

function judgeHeader(name: string, sender: SenderHeaderNames): boolean {
  const lower = name.toLowerCase();
  if (sender.sensitive.includes(lower)) return true;
  if (sender.declared?.includes(lower)) return false;
  return SENSITIVE_HEADER_NAME.test(lower);
}

/**
 * A copy of `headers` with the sender's sensitive headers and anything named like a credential masked.
 * Copied whole, then masked in place: one copy instead of adding each name one by one. Keys that are
 * symbols are no headers (HTTP/2 lists its sensitive names under one) and are left out, as before.
 */
export function maskHeaders(
  headers: WebhookHeaders,
  sender: SenderHeaderNames,
): Record<string, string | readonly string[]> {
  const masked: Record<string | symbol, string | readonly string[] | undefined> = { ...headers };
  for (const symbol of Object.getOwnPropertySymbols(masked)) delete masked[symbol];
  const verdicts = verdictsOf(sender);
  const names = Object.keys(masked);
  for (let index = 0; index < names.length; index += 1) {
    const name = names[index]!;
    if (masked[name] === undefined) delete masked[name];
    else if (judgedHeader(name, sender, verdicts)) masked[name] = MASKED_HEADER_VALUE;
  }
  return masked as Record<string, string | readonly string[]>;
}
