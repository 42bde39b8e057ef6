import { WebhookDeliveryError } from '../core/errors/index.js';
import { deliveryStoreFull } from '../core/errors/webhook.messages.js';
import type { DeliveryClaim, DeliveryProgress, DeliveryStore } from './delivery-store.js';

/**
 * One remembered delivery. Mutable, and one object for its whole life (claimed, then done or
 * released): a delivery costs one allocation, not one per change of state.
 */
interface Entry {
  readonly key: string;
  state: 'processing' | 'released' | 'done';
  /** The claim's owner, while processing. */
  owner: string | undefined;
  /** When the entry is gone whatever happens: the lease's end, or the end of `ttlSeconds`. */
  expiresAt: number;
  /** From when forgetting it lets nothing be handled twice: see {@link MemoryDeliveryStore}. */
  forgettableAt: number;
  handledBy: readonly string[];
  /** Its place in its heap: the claims' while processing, the records' otherwise. */
  index: number;
}

/**
 * A min-heap of entries on `forgettableAt`, each entry knowing its index, so that any entry can
 * be removed or moved in place.
 */
class ForgettableHeap {
  private readonly entries: Entry[] = [];

  /** The entry that may be forgotten first. */
  get top(): Entry | undefined {
    return this.entries[0];
  }

  push(entry: Entry): void {
    entry.index = this.entries.length;
    this.entries.push(entry);
    this.siftUp(entry.index);
  }

  remove(entry: Entry): void {
    const last = this.entries.pop()!;
    if (last === entry) return;
    this.place(last, entry.index);
    this.moved(last);
  }

  /** Puts an entry back in order after its `forgettableAt` changed, or after it filled another's place. */
  moved(entry: Entry): void {
    const index = entry.index;
    if (index > 0 && this.entries[(index - 1) >> 1]!.forgettableAt > entry.forgettableAt) this.siftUp(index);
    else this.siftDown(index);
  }

  private siftUp(start: number): void {
    const heap = this.entries;
    const item = heap[start]!;
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent]!.forgettableAt <= item.forgettableAt) break;
      this.place(heap[parent]!, index);
      index = parent;
    }
    this.place(item, index);
  }

  private siftDown(start: number): void {
    const heap = this.entries;
    const item = heap[start]!;
    let index = start;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && heap[child + 1]!.forgettableAt < heap[child]!.forgettableAt) child += 1;
      if (heap[child]!.forgettableAt >= item.forgettableAt) break;
      this.place(heap[child]!, index);
      index = child;
    }
    this.place(item, index);
  }

  private place(entry: Entry, index: number): void {
    this.entries[index] = entry;
    entry.index = index;
  }
}

/** Options of {@link MemoryDeliveryStore}. */
export interface MemoryDeliveryStoreOptions {
  /** How many deliveries to remember at most (default 100 000). */
  readonly maxEntries?: number;
  /** The clock, in milliseconds (for tests). */
  readonly now?: () => number;
}

const NONE: readonly string[] = [];
// The usual answers, made once: a claim answers with a settled promise and allocates nothing.
const DONE: Promise<DeliveryClaim> = Promise.resolve(Object.freeze({ state: 'done', handledBy: NONE }));
const IN_PROGRESS: Promise<DeliveryClaim> = Promise.resolve(Object.freeze({ state: 'in_progress', handledBy: NONE }));
const CLAIMED: Promise<DeliveryClaim> = Promise.resolve(Object.freeze({ state: 'claimed', handledBy: NONE }));
const SETTLED: Promise<void> = Promise.resolve();

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
  /**
   * The claims being handled, on their leases' ends. Apart from the records, because a claim
   * becomes a record a moment later: in one heap of every entry, that move would walk the
   * height of a large heap twice per delivery (claimed near the top, done near the bottom).
   */
  private readonly claims = new ForgettableHeap();
  /** Done and released deliveries, on when each may be forgotten: mostly pushed in that order. */
  private readonly records = new ForgettableHeap();
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
    if (entry?.state === 'done') return DONE;
    if (entry?.state === 'processing' && entry.owner !== owner) return IN_PROGRESS;
    const expiresAt = now + leaseSeconds * 1000;
    if (entry) {
      // Released by a failed attempt, or renewed by its owner.
      this.change(entry, 'processing', owner, expiresAt, expiresAt, entry.handledBy);
      return entry.handledBy.length === 0 ? CLAIMED : Promise.resolve({ state: 'claimed', handledBy: entry.handledBy });
    }
    if (!this.makeRoom(now)) {
      return Promise.reject(new WebhookDeliveryError('delivery_store_full', deliveryStoreFull()));
    }
    this.insert({ key, state: 'processing', owner, expiresAt, forgettableAt: expiresAt, handledBy: NONE, index: -1 });
    return CLAIMED;
  }

  complete(key: string, ttlSeconds: number, replayableUntilMs?: number): Promise<void> {
    const expiresAt = this.now() + ttlSeconds * 1000;
    const forgettableAt = Math.min(expiresAt, replayableUntilMs ?? Infinity);
    const entry = this.entries.get(key);
    if (entry) this.change(entry, 'done', undefined, expiresAt, forgettableAt, NONE);
    else this.insert({ key, state: 'done', owner: undefined, expiresAt, forgettableAt, handledBy: NONE, index: -1 });
    return SETTLED;
  }

  release(key: string, owner: string, progress?: DeliveryProgress): Promise<void> {
    const entry = this.entries.get(key);
    if (entry?.state !== 'processing' || entry.owner !== owner) return SETTLED;
    if (progress && progress.handledBy.length > 0) {
      // Handlers that succeeded must not run again on the retry: kept as long as a done delivery would be.
      const expiresAt = this.now() + progress.ttlSeconds * 1000;
      this.change(entry, 'released', undefined, expiresAt, expiresAt, progress.handledBy);
    } else {
      this.remove(entry);
    }
    return SETTLED;
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= now) {
      this.remove(entry);
      return undefined;
    }
    return entry;
  }

  /** Whether there is room for one more entry, forgetting what may be forgotten to make it. */
  private makeRoom(now: number): boolean {
    while (this.entries.size >= this.maxEntries) {
      const claim = this.claims.top;
      const record = this.records.top;
      const first = !record || (claim && claim.forgettableAt < record.forgettableAt) ? claim : record;
      if (!first || first.forgettableAt > now) return false;
      this.remove(first);
    }
    return true;
  }

  private heapOf(entry: Entry): ForgettableHeap {
    return entry.state === 'processing' ? this.claims : this.records;
  }

  private insert(entry: Entry): void {
    this.entries.set(entry.key, entry);
    this.heapOf(entry).push(entry);
  }

  private change(
    entry: Entry,
    state: Entry['state'],
    owner: string | undefined,
    expiresAt: number,
    forgettableAt: number,
    handledBy: readonly string[],
  ): void {
    const from = this.heapOf(entry);
    entry.state = state;
    entry.owner = owner;
    entry.expiresAt = expiresAt;
    entry.forgettableAt = forgettableAt;
    entry.handledBy = handledBy;
    const to = this.heapOf(entry);
    if (from === to) {
      to.moved(entry);
    } else {
      from.remove(entry);
      to.push(entry);
    }
  }

  private remove(entry: Entry): void {
    this.entries.delete(entry.key);
    this.heapOf(entry).remove(entry);
  }
}
