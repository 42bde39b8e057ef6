import { createHash } from 'node:crypto';
import type { WebhookHeaders } from '../core/headers.js';

/** A verified delivery as it waits in the queue: enough to rebuild it for the handlers. */
export interface DeliveryJobData {
  readonly source: string;
  /** The route's tenant segment (absent in jobs queued before tenants existed). */
  readonly tenant?: string | null;
  readonly deliveryId: string;
  readonly event: string | null;
  /** The sender's timestamp in epoch milliseconds. */
  readonly timestamp: number | null;
  /** Headers without the signature and token headers, which are of no use once verified. */
  readonly headers: Record<string, string | string[]>;
  /** The verified body, base64. */
  readonly body: string;
  /** When the delivery was accepted, epoch milliseconds. */
  readonly receivedAt: number;
}

/**
 * The queue's job id of a delivery: the same for every repeat, so the queue itself
 * keeps one job per delivery. Hashed, since delivery ids are the sender's text.
 */
export function jobIdFor(source: string, deliveryId: string, tenant?: string): string {
  const identity = tenant === undefined ? `${source}\n${deliveryId}` : `${source}\n${tenant}\n${deliveryId}`;
  return `${source}-${createHash('sha256').update(identity).digest('hex').slice(0, 40)}`;
}

/** Headers minus the sensitive ones, as plain strings. */
export function storableHeaders(
  headers: WebhookHeaders,
  sensitive: readonly string[],
): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || sensitive.some((header) => header.toLowerCase() === name.toLowerCase())) continue;
    kept[name] = typeof value === 'string' ? value : [...value];
  }
  return kept;
}
