/**
 * What a claim found: `claimed` (process it now), `done` (handled before: skip it),
 * `in_progress` (someone else is processing it right now).
 */
export type DeliveryClaim = 'claimed' | 'done' | 'in_progress';

/**
 * Remembers deliveries by `source:deliveryId`, so each is handled once. Implement it
 * to keep the record somewhere of your own; every method must be atomic with respect
 * to the others for the same key, across all app instances that share the store.
 */
export interface DeliveryStore {
  /**
   * Claims a delivery for `owner` for `leaseSeconds`. A claim the same owner already
   * holds is renewed and counts as `claimed` (a job retried after its worker died);
   * an expired claim is free again.
   */
  claim(key: string, owner: string, leaseSeconds: number): Promise<DeliveryClaim>;
  /** Marks the delivery done, remembered for `ttlSeconds`. */
  complete(key: string, ttlSeconds: number): Promise<void>;
  /** Drops `owner`'s claim after a failure, so the sender's retry is processed normally. */
  release(key: string, owner: string): Promise<void>;
  /** Frees connections at shutdown. */
  close?(): Promise<void>;
}

/** The store key of a delivery. Source names cannot contain ':', so the key is unambiguous. */
export function deliveryKey(source: string, deliveryId: string): string {
  return `${source}:${deliveryId}`;
}
