import type { DeliveryClaim, DeliveryProgress, DeliveryStore } from './delivery-store.js';

type Entry =
  | {
      readonly state: 'processing';
      readonly owner: string;
      readonly expiresAt: number;
      readonly handledBy: readonly string[];
    }
  | { readonly state: 'released'; readonly expiresAt: number; readonly handledBy: readonly string[] }
  | { readonly state: 'done'; readonly expiresAt: number };

/** Options of {@link MemoryDeliveryStore}. */
export interface MemoryDeliveryStoreOptions {
  /** How many deliveries to remember at most (default 100 000); the oldest done ones go first. */
  readonly maxEntries?: number;
  /** The clock, in milliseconds (for tests). */
  readonly now?: () => number;
}

const NONE: readonly string[] = [];

/**
 * The default store: one process's memory. Bounded: when full it forgets the oldest
 * completed deliveries (and expired claims), and never refuses a new delivery. Use the
 * Redis store when several app instances receive the same sender.
 */
export class MemoryDeliveryStore implements DeliveryStore {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryDeliveryStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /** How many deliveries are remembered. */
  get size(): number {
    return this.entries.size;
  }

  claim(key: string, owner: string, leaseSeconds: number): Promise<DeliveryClaim> {
    const now = this.now();
    const entry = this.live(key, now);
    if (entry?.state === 'done') return Promise.resolve({ state: 'done', handledBy: NONE });
    if (entry?.state === 'processing' && entry.owner !== owner) {
      return Promise.resolve({ state: 'in_progress', handledBy: NONE });
    }
    const handledBy = entry?.handledBy ?? NONE;
    this.put(key, { state: 'processing', owner, expiresAt: now + leaseSeconds * 1000, handledBy }, now);
    return Promise.resolve({ state: 'claimed', handledBy });
  }

  complete(key: string, ttlSeconds: number): Promise<void> {
    const now = this.now();
    this.put(key, { state: 'done', expiresAt: now + ttlSeconds * 1000 }, now);
    return Promise.resolve();
  }

  release(key: string, owner: string, progress?: DeliveryProgress): Promise<void> {
    const entry = this.entries.get(key);
    if (entry?.state !== 'processing' || entry.owner !== owner) return Promise.resolve();
    if (progress && progress.handledBy.length > 0) {
      const now = this.now();
      this.put(
        key,
        { state: 'released', handledBy: progress.handledBy, expiresAt: now + progress.ttlSeconds * 1000 },
        now,
      );
    } else {
      this.entries.delete(key);
    }
    return Promise.resolve();
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Re-inserting keeps the map in order of last change, so the oldest entries come first. */
  private put(key: string, entry: Entry, now: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.evict(now);
    this.entries.set(key, entry);
  }

  /** Frees a tenth of the room at once, so eviction's cost is shared by many deliveries. */
  private evict(now: number): void {
    let toFree = Math.max(1, Math.ceil(this.maxEntries / 10));
    for (const [key, entry] of this.entries) {
      if (toFree === 0) break;
      if (entry.state === 'done' || entry.expiresAt <= now) {
        this.entries.delete(key);
        toFree -= 1;
      }
    }
  }
}
