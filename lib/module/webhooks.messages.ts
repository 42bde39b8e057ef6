import type { WebhookRejectionReason } from './webhook-rejection.js';

/** Every text the module logs or throws at start-up, in one place. */

export const sourceConfigurationError = (source: string, problem: string): string =>
  `Webhook source "${source}": ${problem}`;

export const invalidSourceName = (source: string): string =>
  `Webhook source name "${source}" must be letters, digits, ".", "_" or "-", and must not start with "_" (reserved).`;

export const missingProvider = (source: string, builtIns: readonly string[]): string =>
  `Webhook source "${source}" is not a built-in provider's name (${builtIns.join(', ')}); set its "provider".`;

export const handlerForUnknownSource = (handler: string, source: string, configured: readonly string[]): string =>
  `@WebhookHandler('${source}') on ${handler} names a source that is not configured ` +
  `(configured: ${configured.length > 0 ? configured.join(', ') : 'none'}). Add it to WebhooksModule.forRoot({ sources }).`;

export const requestScopedHandler = (className: string): string =>
  `${className} has @WebhookHandler methods but is request-scoped; webhook handlers must be singletons, so they are ignored.`;

export const credentialWarning = (source: string, warning: string): string =>
  `Webhook source "${source}" is ${warning}`;

export const noSourceForGuard = (handler: string): string =>
  `WebhookSignatureGuard on ${handler} does not know which source to verify: add @WebhookSource('<name>') or a :source route parameter.`;

/** One structured line per rejection: key=value pairs, never a secret or an expected signature. */
export function rejectionLine(fields: {
  source: string | undefined;
  tenant?: string;
  reason: WebhookRejectionReason;
  status: number;
  deliveryId?: string;
  detail: string;
}): string {
  const parts = [
    'webhook rejected',
    `source=${logValue(fields.source ?? '-')}`,
    ...(fields.tenant === undefined ? [] : [`tenant=${logValue(fields.tenant)}`]),
    `reason=${fields.reason}`,
    `status=${fields.status}`,
  ];
  if (fields.deliveryId) parts.push(`deliveryId=${logValue(fields.deliveryId)}`);
  parts.push(`detail=${quoted(fields.detail)}`);
  return parts.join(' ');
}

const PLAIN_LOG_VALUE = /^[\w.:-]{1,128}$/;
const MAX_LOG_VALUE = 128;

/** A value from the request as one safe token: quoted and cut short unless plainly safe, so it cannot forge a log line. */
function logValue(value: string): string {
  if (PLAIN_LOG_VALUE.test(value)) return value;
  return quoted(value.length > MAX_LOG_VALUE ? `${value.slice(0, MAX_LOG_VALUE)}…` : value);
}

/**
 * A JSON string literal, with the Unicode line and paragraph separators escaped too
 * (JSON leaves them raw, and some log viewers break lines on them).
 */
function quoted(text: string): string {
  return JSON.stringify(text)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A request value inside a sentence: cut short and quoted like {@link logValue}. */
export const requestValue = (value: string): string => logValue(value);

export const handlerFailedLine = (source: string, deliveryId: string, handler: string): string =>
  `webhook handler failed source=${source} deliveryId=${logValue(deliveryId)} handler=${handler}`;
