import { WebhookError } from '../core/errors/index.js';
import { errorKind } from '../core/errors/webhook.messages.js';
import type { DeliveryStore } from './delivery-store.js';
import { MemoryDeliveryStore } from './memory-delivery.store.js';
import { withTimeout } from './redis-connection.js';
import { RedisDeliveryStore } from './redis-delivery.store.js';
import type { WebhookQueue, WebhookQueueCounts } from './webhook-queue.js';

/** How long a health check waits for Redis by default, in ms. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 1000;

/** The delivery store's part of {@link WebhookDeliveriesHealth}. */
export interface WebhookStoreHealth {
  /** `memory` (in this process), `redis` (the library's Redis store), or `custom` (a store of the application's own). */
  readonly kind: 'memory' | 'redis' | 'custom';
  /**
   * Whether the store answered: a PING on the Redis store's own connection, within the timeout.
   * Always `true` for the memory store; for a custom store, its `ping()`, and `undefined` when it has none.
   */
  readonly reachable: boolean | undefined;
  /** Why it did not answer (`no answer within 1s`, `not connected (connection reconnecting)`, an error's name). */
  readonly error?: string;
}

/** The queue's part of {@link WebhookDeliveriesHealth}: its Redis answered, with the job counts. */
export interface WebhookQueueHealthUp extends WebhookQueueCounts {
  readonly reachable: true;
}

/** The queue's part of {@link WebhookDeliveriesHealth}: its Redis did not answer within the timeout. */
export interface WebhookQueueHealthDown {
  readonly reachable: false;
  /** Why (`no answer within 1s`, an error's name). */
  readonly error: string;
}

/** The queue's part of {@link WebhookDeliveriesHealth}. */
export type WebhookQueueHealth = WebhookQueueHealthUp | WebhookQueueHealthDown;

/**
 * What `WebhookDeliveries.health()` found: whether the delivery store and, in queue mode, the
 * queue's Redis answer, with the queue's job counts. Holds no connection URL, host or password.
 */
export interface WebhookDeliveriesHealth {
  /** The de-duplication store. */
  readonly store: WebhookStoreHealth;
  /** Queue mode only (`processing: 'queue'`). */
  readonly queue?: WebhookQueueHealth;
}

/** Asks the store whether it answers, waiting at most `timeoutMs`. */
export async function storeHealth(store: DeliveryStore, timeoutMs: number): Promise<WebhookStoreHealth> {
  const kind =
    store instanceof MemoryDeliveryStore ? 'memory' : store instanceof RedisDeliveryStore ? 'redis' : 'custom';
  if (kind === 'memory') return { kind, reachable: true };
  if (!store.ping) return { kind, reachable: undefined };
  const answer = await within(store.ping(), timeoutMs);
  return answer.ok ? { kind, reachable: true } : { kind, reachable: false, error: answer.error };
}

/** Counts the queue's jobs, waiting at most `timeoutMs` for its Redis. */
export async function queueHealth(queue: WebhookQueue, timeoutMs: number): Promise<WebhookQueueHealth> {
  const answer = await within(queue.jobCounts(), timeoutMs);
  return answer.ok ? { reachable: true, ...answer.value } : { reachable: false, error: answer.error };
}

/**
 * What `work` gave, if it settled within `timeoutMs`, else why not: the library's own message,
 * or only the error's name and code (a driver's message may hold a host or a URL).
 */
async function within<T>(
  work: Promise<T>,
  timeoutMs: number,
): Promise<{ readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string }> {
  try {
    return { ok: true, value: await withTimeout(work, timeoutMs) };
  } catch (error) {
    return { ok: false, error: error instanceof WebhookError ? error.message : errorKind(error) };
  }
}
