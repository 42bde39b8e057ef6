import { hash } from 'node:crypto';
import { bytesEqual, hmacOfParts } from '../core/crypto.js';
import type { WebhookHeaders } from '../core/headers.js';

/** The version of the job format; a job of another version is refused as tampered. */
const JOB_FORMAT = 2;

/** A verified delivery as it waits in the queue: enough to rebuild it for the handlers, and its seal. */
export interface DeliveryJobData {
  readonly v: typeof JOB_FORMAT;
  readonly source: string;
  /** The tenant handlers see (the resolver's canonical one, else the route's segment). */
  readonly tenant: string | null;
  /** The de-duplication scope (see `VerifiedAttempt.scope`). */
  readonly scope: string | null;
  readonly deliveryId: string;
  readonly event: string | null;
  /** The sender's timestamp in epoch milliseconds. */
  readonly timestamp: number | null;
  /** The content type and the sender's own headers: never a signature, token or credential. */
  readonly headers: Record<string, string | string[]>;
  /** The verified body, base64. */
  readonly body: string;
  /** When the delivery was accepted, epoch milliseconds. */
  readonly receivedAt: number;
  /** The attempt that accepted it (the request's). */
  readonly acceptedBy: string;
  /**
   * The W3C `traceparent` of the request's span, when deliveries are traced: the worker's span
   * joins that trace. Sealed like the rest (a job edited onto another trace is refused); absent
   * when untraced, so jobs queued without it keep their seal.
   */
  readonly trace?: string;
  /**
   * HMAC-SHA256 (hex) of everything above under the queue's `jobSigningKey`: anyone who can
   * write to Redis can edit a job, and only a job sealed by the app reaches a handler.
   */
  readonly seal: string;
}

/** A job's content before it is sealed. */
export type UnsealedDeliveryJob = Omit<DeliveryJobData, 'v' | 'seal'>;

/**
 * The queue's job id of a delivery: the same for every repeat, so the queue itself keeps one
 * job per delivery. The parts are encoded as a JSON array (unambiguous whatever they contain:
 * a body-derived id may hold any character) and hashed, since delivery ids are the sender's text.
 */
export function jobIdFor(source: string, scope: string | undefined, deliveryId: string): string {
  const identity = JSON.stringify([source, scope ?? null, deliveryId]);
  return `${source}-${hash('sha256', identity, 'hex').slice(0, 40)}`;
}

/** Seals a job's content with the first key. */
export function sealJob(job: UnsealedDeliveryJob, keys: readonly Buffer[]): DeliveryJobData {
  return { v: JOB_FORMAT, ...job, seal: sealOf(job, keys[0]!).toString('hex') };
}

/** Whether a job read back from Redis carries a seal of one of the keys over exactly its content. */
export function isSealed(data: unknown, keys: readonly Buffer[]): data is DeliveryJobData {
  if (typeof data !== 'object' || data === null) return false;
  const job = data as Partial<DeliveryJobData>;
  if (job.v !== JOB_FORMAT || typeof job.seal !== 'string' || !/^[0-9a-f]{64}$/.test(job.seal)) return false;
  const received = Buffer.from(job.seal, 'hex');
  let matched = false;
  for (const key of keys) if (bytesEqual(sealOf(job as UnsealedDeliveryJob, key), received)) matched = true;
  return matched;
}

/** What a seal's MAC begins with: a seal is never a MAC the same key gives in another use. */
const SEAL_CONTEXT = 'nestjs-signed-webhooks:job\u0000';

/**
 * The MAC of a job's content: every field, in a fixed order, as one JSON array, so no edit of
 * any field (or a field moved into another) keeps it valid. Headers are sorted by name. The trace
 * context comes last, only when the job has one: adding, removing or changing it breaks the seal
 * (the array's length or last element changes), and jobs sealed before it existed stay valid.
 */
function sealOf(job: UnsealedDeliveryJob, key: Buffer): Buffer {
  const headers = Object.entries(job.headers ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const fields: unknown[] = [
    JOB_FORMAT,
    job.source,
    job.tenant,
    job.scope,
    job.deliveryId,
    job.event,
    job.timestamp,
    headers,
    job.body,
    job.receivedAt,
    job.acceptedBy,
  ];
  if (job.trace !== undefined) fields.push(job.trace);
  const content = JSON.stringify(fields);
  return hmacOfParts('sha256', key, [SEAL_CONTEXT, content]);
}

/**
 * What a worker needs of the headers: the content type and the sender's own non-secret
 * headers. Never a credential (`authorization`, `cookie`, `x-api-key`, anything named like a
 * signature, token, secret or key), since jobs, and dead letters, are kept in Redis.
 */
export function storableHeaders(
  headers: WebhookHeaders,
  senderHeaders: readonly string[],
  isSensitive: (name: string) => boolean,
): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || (lower !== 'content-type' && !senderHeaders.includes(lower)) || isSensitive(lower)) {
      continue;
    }
    kept[lower] = typeof value === 'string' ? value : [...value];
  }
  return kept;
}
