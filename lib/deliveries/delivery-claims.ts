import { WebhookDeliveryError } from '../core/errors/index.js';
import {
  claimLost,
  deliveryInProgress,
  deliveryStoreFullWarning,
  deliveryStoreUnavailable,
  storeFailed,
} from '../core/errors/webhook.messages.js';
import type { DeliveryStore } from './delivery-store.js';

/** How long claims and records last, and where their problems are reported. */
export interface DeliveryClaimsSettings {
  /** How long a claim protects a delivery being handled, in case its process dies. */
  readonly leaseSeconds: number;
  /** How long a handled delivery (and a partly handled one's progress) is remembered. */
  readonly ttlSeconds: number;
  /** The memory store's bound, named in the full-store warning. */
  readonly maxEntries: number;
  readonly warn: (line: string) => void;
  readonly error: (line: string) => void;
}

/** A claim this process holds, renewed until it is completed or released. */
export class HeldClaim {
  /** Whether it is still held: completing or releasing it drops it from renewal. */
  active = true;

  constructor(
    readonly key: string,
    readonly owner: string,
    /** What an earlier, partly failed attempt already handled. */
    readonly handledBy: readonly string[],
  ) {}
}

/**
 * The claim and lease logic, on any {@link DeliveryStore}: a delivery is claimed before its
 * handlers run (a repeat finds it `done`; a copy in flight finds it `in_progress`), the claim is
 * renewed while they run, and it ends `done` or released with the handlers that succeeded, so
 * a retry runs only the others. Never both skipped and unhandled, and no handler twice.
 */
export class DeliveryClaims {
  /** The claims held now, and some dropped ones not yet swept out (see {@link drop}). */
  private held: HeldClaim[] = [];
  private dropped = 0;
  private renewal: NodeJS.Timeout | undefined;
  private readonly fullStore = { refused: 0, warnedAtMs: -Infinity };

  constructor(
    private readonly store: () => DeliveryStore,
    private readonly settings: DeliveryClaimsSettings,
  ) {}

  /**
   * Claims `key` for `owner`: `'duplicate'` when it was handled before, the held claim otherwise.
   * @throws WebhookDeliveryError `delivery_in_progress`, `delivery_store_full` or `delivery_store_unavailable`.
   */
  async claim(key: string, owner: string): Promise<HeldClaim | 'duplicate'> {
    let claim;
    try {
      claim = await this.store().claim(key, owner, this.settings.leaseSeconds);
    } catch (error) {
      throw this.failure(error);
    }
    if (claim.state === 'done') return 'duplicate';
    if (claim.state === 'in_progress') throw new WebhookDeliveryError('delivery_in_progress', deliveryInProgress());
    const held = new HeldClaim(key, owner, claim.handledBy);
    this.hold(held);
    return held;
  }

  /**
   * The handlers ran: the delivery is remembered as done. A store that fails now is logged, not
   * thrown: the sender must not send it again. `replayableUntilMs` lets a full memory store
   * forget it once its replay window is over.
   */
  complete(claim: HeldClaim, replayableUntilMs: number | undefined): Promise<void> {
    this.drop(claim);
    return this.store()
      .complete(claim.key, this.settings.ttlSeconds, replayableUntilMs)
      .catch((error: unknown) => this.settings.error(storeFailed(error)));
  }

  /** Some handlers failed: the claim is freed for the retry, keeping the ones that succeeded. */
  release(claim: HeldClaim, succeeded: readonly string[]): Promise<void> {
    this.drop(claim);
    const handledBy = [...claim.handledBy, ...succeeded];
    return this.store()
      .release(claim.key, claim.owner, { handledBy, ttlSeconds: this.settings.ttlSeconds })
      .catch((error: unknown) => this.settings.error(storeFailed(error)));
  }

  /**
   * Renews every held claim with one timer, every third of a lease (so each is renewed at least
   * once a third of its lease, whenever it began): a short handler costs a list entry, not a timer.
   * The timer stops when it finds nothing held, not when the last claim is dropped: between
   * deliveries that would stop and start a timer for every one.
   */
  private hold(claim: HeldClaim): void {
    this.held.push(claim);
    if (this.renewal) return;
    this.renewal = setInterval(() => this.renewAll(), (this.settings.leaseSeconds * 1000) / 3);
    this.renewal.unref();
  }

  /**
   * Marks a claim dropped; the list is swept once dropped claims are half of it. A map keyed by
   * delivery would do the same, but rehash as it shrinks and grows around every delivery.
   */
  private drop(claim: HeldClaim): void {
    if (!claim.active) return;
    claim.active = false;
    this.dropped += 1;
    if (this.dropped > 32 && this.dropped * 2 > this.held.length) this.sweep();
  }

  private sweep(): void {
    this.held = this.held.filter((claim) => claim.active);
    this.dropped = 0;
  }

  private renewAll(): void {
    this.sweep();
    if (this.held.length === 0) {
      clearInterval(this.renewal);
      this.renewal = undefined;
      return;
    }
    for (const { key, owner } of this.held) {
      this.store()
        .claim(key, owner, this.settings.leaseSeconds)
        .then(
          (claim) => {
            if (claim.state !== 'claimed') this.settings.warn(claimLost(key));
          },
          (error: unknown) => this.settings.error(storeFailed(error)),
        );
    }
  }

  /** What a claim the store could not make is refused with: full (503, warned once a minute) or down. */
  private failure(error: unknown): WebhookDeliveryError {
    if (error instanceof WebhookDeliveryError && error.reason === 'delivery_store_full') {
      this.warnFull();
      return error;
    }
    this.settings.error(storeFailed(error));
    return new WebhookDeliveryError('delivery_store_unavailable', deliveryStoreUnavailable(), { cause: error });
  }

  /** At most one line a minute, however many deliveries a full store refuses. */
  private warnFull(): void {
    this.fullStore.refused += 1;
    const nowMs = Date.now();
    if (nowMs - this.fullStore.warnedAtMs < 60_000) return;
    this.settings.warn(deliveryStoreFullWarning(this.settings.maxEntries, this.fullStore.refused));
    this.fullStore.warnedAtMs = nowMs;
    this.fullStore.refused = 0;
  }
}
