/**
 * What a claim found: `claimed` (process it now), `done` (handled before: skip it),
 * `in_progress` (someone else is processing it right now).
 */
export type DeliveryClaimState = 'claimed' | 'done' | 'in_progress';

/** The answer to {@link DeliveryStore.claim}. */
export interface DeliveryClaim {
  readonly state: DeliveryClaimState;
  /**
   * Handlers (`Class.method`) that already succeeded in an earlier attempt whose other
   * handlers failed: a retry runs only the rest, so no handler runs twice.
   */
  readonly handledBy: readonly string[];
}

/** Progress kept when a claim is released after some handlers succeeded and others failed. */
export interface DeliveryProgress {
  /** The handlers that succeeded. */
  readonly handledBy: readonly string[];
  /** How long to remember them, in seconds. */
  readonly ttlSeconds: number;
}

/**
 * Remembers deliveries by `source:deliveryId`, so each is handled once. Implement it
 * to keep the record somewhere of your own; every method must be atomic with respect
 * to the others for the same key, across all app instances that share the store.
 */
export interface DeliveryStore {
  /**
   * Claims a delivery for `owner` for `leaseSeconds`. A claim the same owner already
   * holds is renewed and counts as `claimed` (a job retried after its worker died, or a
   * long handler's lease being extended); an expired claim is free again.
   */
  claim(key: string, owner: string, leaseSeconds: number): Promise<DeliveryClaim>;
  /**
   * Marks the delivery done, remembered for `ttlSeconds`. `replayableUntilMs` is when it stops
   * being acceptable anyway (its timestamp plus the replay window), for senders that send a
   * timestamp: a store that must forget something before `ttlSeconds` is up may forget it then.
   */
  complete(key: string, ttlSeconds: number, replayableUntilMs?: number): Promise<void>;
  /**
   * Drops `owner`'s claim after a failure, so the sender's retry is processed normally,
   * keeping `progress` (the handlers that did succeed) for that retry.
   */
  release(key: string, owner: string, progress?: DeliveryProgress): Promise<void>;
  /** Frees connections at shutdown. */
  close?(): Promise<void>;
  /**
   * Proves the store answers, for health checks (`WebhookDeliveries.health()`): resolves when it
   * does, rejects when it cannot be reached. Need not time out by itself; the caller stops waiting.
   */
  ping?(): Promise<void>;
}

/**
 * The store key of a delivery: `source:deliveryId`, or `source/scope:deliveryId` when the
 * identity that verified it is a tenant's (see `VerifiedAttempt.scope`: `t.<tenant>` or
 * `s.<digest of the secrets>`). Source names and scopes never contain ':' or '/', so the key
 * is unambiguous whatever the delivery id holds.
 */
export function deliveryKey(source: string, deliveryId: string, scope?: string): string {
  return scope === undefined ? `${source}:${deliveryId}` : `${source}/${scope}:${deliveryId}`;
}
