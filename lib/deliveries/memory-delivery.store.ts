import { WebhookDeliveryError } from '../core/errors/index.js';
import { deliveryStoreFull } from '../core/errors/webhook.messages.js';
import type { DeliveryClaim, DeliveryProgress, DeliveryStore } from './delivery-store.js';

interface Entry {
  readonly state: 'processing' | 'released' | 'done';
  /** The claim's owner, while processing. */
  readonly owner?: string;
  /** When the entry is gone whatever happens: the lease's end, or the end of `ttlSeconds`. */
  readonly expiresAt: number;
  /** From when forgetting it lets nothing be handled twice: see {@link MemoryDeliveryStore}. */
  readonly forgettableAt: number;
  readonly handledBy: readonly string[];
}

/** An entry in the order of the time it may be forgotten (stale when the map holds another entry for the key). */
interface Forgettable {
  readonly at: number;
  readonly key: string;
  readonly entry: Entry;
}

/** Options of {@link MemoryDeliveryStore}. */
export interface MemoryDeliveryStoreOptions {
  /** How many deliveries to remember at most (default 100 000). */
  readonly maxEntries?: number;
  /** The clock, in milliseconds (for tests). */
  readonly now?: () => number;
}

const NONE: readonly string[] = [];

/**
 * The default store: one process's memory, bounded by `maxEntries`. When full, it forgets
 * only what could never be accepted again anyway: a delivery past its replay window (its
 * timestamp plus the window), a delivery of a sender without a timestamp once `ttlSeconds`
 * are up, a claim whose lease ended. When it holds nothing of the kind, a new delivery is
 * refused with `delivery_store_full` (503; the sender retries) rather than forgetting one
 * that a replay could then get handled twice. Use the Redis store for several app instances,
 * or for more deliveries than `maxEntries` within a day.
 */
export class MemoryDeliveryStore implements DeliveryStore {
  private readonly entries = new Map<string, Entry>();
  /** A min-heap on `at`: the next entry that may be forgotten is on top. */
  private heap: Forgettable[] = [];
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
    if (!entry && !this.makeRoom(now)) {
      return Promise.reject(new WebhookDeliveryError('delivery_store_full', deliveryStoreFull()));
    }
    const handledBy = entry?.handledBy ?? NONE;
    const expiresAt = now + leaseSeconds * 1000;
    this.put(key, { state: 'processing', owner, expiresAt, forgettableAt: expiresAt, handledBy });
    return Promise.resolve({ state: 'claimed', handledBy });
  }

  complete(key: string, ttlSeconds: number, replayableUntilMs?: number): Promise<void> {
    const expiresAt = this.now() + ttlSeconds * 1000;
    const forgettableAt = Math.min(expiresAt, replayableUntilMs ?? Infinity);
    this.put(key, { state: 'done', expiresAt, forgettableAt, handledBy: NONE });
    return Promise.resolve();
  }

  release(key: string, owner: string, progress?: DeliveryProgress): Promise<void> {
    const entry = this.entries.get(key);
    if (entry?.state !== 'processing' || entry.owner !== owner) return Promise.resolve();
    if (progress && progress.handledBy.length > 0) {
      // Handlers that succeeded must not run again on the retry: kept as long as a done delivery would be.
      const expiresAt = this.now() + progress.ttlSeconds * 1000;
      this.put(key, { state: 'released', expiresAt, forgettableAt: expiresAt, handledBy: progress.handledBy });
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

  private put(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    this.push({ at: entry.forgettableAt, key, entry });
    // Replaced entries leave stale heap items behind: rebuild before they outnumber the live ones.
    if (this.heap.length > 2 * this.maxEntries + 1024) this.rebuildHeap();
  }

  /** Whether there is room for one more entry, forgetting what may be forgotten to make it. */
  private makeRoom(now: number): boolean {
    while (this.entries.size >= this.maxEntries) {
      const top = this.heap[0];
      if (!top || top.at > now) return false;
      this.pop();
      if (this.entries.get(top.key) === top.entry) this.entries.delete(top.key);
    }
    return true;
  }

  private rebuildHeap(): void {
    this.heap = [...this.entries].map(([key, entry]) => ({ at: entry.forgettableAt, key, entry }));
    for (let index = (this.heap.length >> 1) - 1; index >= 0; index -= 1) this.siftDown(index);
  }

  private push(item: Forgettable): void {
    const heap = this.heap;
    heap.push(item);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent]!.at <= item.at) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = item;
  }

  private pop(): void {
    const last = this.heap.pop();
    if (last && this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const item = heap[start]!;
    let index = start;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && heap[child + 1]!.at < heap[child]!.at) child += 1;
      if (heap[child]!.at >= item.at) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = item;
  }
}
