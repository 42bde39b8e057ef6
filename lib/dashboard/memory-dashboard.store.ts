import {
  countFieldOf,
  mergeUpdates,
  openKeyOf,
  type DashboardRecord,
  type DashboardUpdate,
} from './dashboard-record.js';
import {
  COUNTED_MINUTES,
  matchesFilter,
  minuteOf,
  type DashboardFilter,
  type DashboardStore,
  type MinuteCounts,
} from './dashboard.store.js';

interface Slot {
  readonly id: string;
  readonly openKey: string | undefined;
  readonly updates: DashboardUpdate[];
}

/**
 * The default dashboard store: a ring buffer of the last `maxEntries` deliveries in
 * this process's memory, and per-minute counters for a day. An append is a few map
 * operations; a record is merged from its updates only when a page reads it.
 */
export class MemoryDashboardStore implements DashboardStore {
  private readonly slots: (Slot | undefined)[];
  private next = 0;
  private sequence = 0;
  private readonly byId = new Map<string, Slot>();
  /** Deliveries verified and not yet final, by {@link openKeyOf}. */
  private readonly open = new Map<string, Slot>();
  private readonly minutes = new Map<number, Map<string, number>>();

  constructor(maxEntries: number) {
    this.slots = new Array<Slot | undefined>(maxEntries);
  }

  append(update: DashboardUpdate): void {
    this.count(update);
    const openKey = openKeyOf(update);
    const pending = update.outcome !== 'verified' && openKey !== undefined ? this.open.get(openKey) : undefined;
    if (pending) {
      pending.updates.push(update);
      this.open.delete(openKey!);
      return;
    }
    this.sequence += 1;
    const slot: Slot = { id: `${update.at.toString(36)}-${this.sequence.toString(36)}`, openKey, updates: [update] };
    const evicted = this.slots[this.next];
    if (evicted) {
      this.byId.delete(evicted.id);
      if (evicted.openKey !== undefined && this.open.get(evicted.openKey) === evicted)
        this.open.delete(evicted.openKey);
    }
    this.slots[this.next] = slot;
    this.next = (this.next + 1) % this.slots.length;
    this.byId.set(slot.id, slot);
    if (update.outcome === 'verified' && openKey !== undefined) this.open.set(openKey, slot);
  }

  list(filter: DashboardFilter): Promise<DashboardRecord[]> {
    const found: DashboardRecord[] = [];
    const limit = filter.limit ?? this.slots.length;
    for (let i = 1; i <= this.slots.length && found.length < limit; i += 1) {
      const slot = this.slots[(this.next - i + this.slots.length) % this.slots.length];
      if (!slot) break;
      const record = mergeUpdates(slot.id, slot.updates);
      if (matchesFilter(record, filter)) found.push(record);
    }
    return Promise.resolve(found);
  }

  get(id: string): Promise<DashboardRecord | undefined> {
    const slot = this.byId.get(id);
    return Promise.resolve(slot ? mergeUpdates(slot.id, slot.updates) : undefined);
  }

  counts(fromMinute: number): Promise<MinuteCounts[]> {
    const found: MinuteCounts[] = [];
    for (const [minute, counts] of this.minutes) {
      if (minute >= fromMinute) found.push({ minute, counts: Object.fromEntries(counts) });
    }
    return Promise.resolve(found.sort((a, b) => a.minute - b.minute));
  }

  private count(update: DashboardUpdate): void {
    const minute = minuteOf(update.at);
    let counts = this.minutes.get(minute);
    if (!counts) {
      counts = new Map();
      this.minutes.set(minute, counts);
      // A new minute is the moment to forget the minutes older than a day.
      for (const old of this.minutes.keys()) if (old <= minute - COUNTED_MINUTES) this.minutes.delete(old);
    }
    const field = countFieldOf(update);
    counts.set(field, (counts.get(field) ?? 0) + 1);
  }
}
