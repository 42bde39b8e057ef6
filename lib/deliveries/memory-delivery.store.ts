import { WebhookDeliveryError } from '../core/errors/index.js';
import { deliveryStoreFull } from '../core/errors/webhook.messages.js';
import type { DeliveryClaim, DeliveryProgress, DeliveryStore } from './delivery-store.js';

/**
 * One remembered delivery. Mutable, and one object for its whole life (claimed, then done or
 * released): a delivery costs one allocation and one heap slot, not one per change of state.
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
  /** Its place in the heap. */
  index: number;
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
  /** A min-heap of every entry on `forgettableAt`, each knowing its index: the next that may be forgotten is on top. */
  private readonly heap: Entry[] = [];
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
      const top = this.heap[0];
      if (!top || top.forgettableAt > now) return false;
      this.remove(top);
    }
    return true;
  }

  private insert(entry: Entry): void {
    this.entries.set(entry.key, entry);
    entry.index = this.heap.length;
    this.heap.push(entry);
    this.siftUp(entry.index);
  }

  private change(
    entry: Entry,
    state: Entry['state'],
    owner: string | undefined,
    expiresAt: number,
    forgettableAt: number,
    handledBy: readonly string[],
  ): void {
    const earlier = forgettableAt < entry.forgettableAt;
    entry.state = state;
    entry.owner = owner;
    entry.expiresAt = expiresAt;
    entry.forgettableAt = forgettableAt;
    entry.handledBy = handledBy;
    if (earlier) this.siftUp(entry.index);
    else this.siftDown(entry.index);
  }

  private remove(entry: Entry): void {
    this.entries.delete(entry.key);
    const last = this.heap.pop()!;
    if (last === entry) return;
    this.heap[entry.index] = last;
    last.index = entry.index;
    this.siftUp(last.index);
    this.siftDown(last.index);
  }

  private siftUp(start: number): void {
    const heap = this.heap;
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
    const heap = this.heap;
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
    this.heap[index] = entry;
    entry.index = index;
  }
}
