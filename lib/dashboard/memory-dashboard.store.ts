import type { WebhookHeaders } from '../core/headers.js';
import {
  maskHeaders,
  type WebhookHandlerRun,
  type WebhookOutcome,
  type WebhookOutcomeFacts,
} from '../module/webhook-events.js';
import {
  MAX_SHOWN_BODY_BYTES,
  countedOutcomeOf,
  countedSourceOf,
  openKeyOf,
  withoutUndefined,
  type DashboardRecord,
} from './dashboard-record.js';
import {
  COUNTED_MINUTES,
  matchesFilter,
  minuteOf,
  type DashboardFilter,
  type DashboardStore,
  type MinuteCounts,
} from './dashboard.store.js';

const NO_RUNS: readonly WebhookHandlerRun[] = [];
const NO_NAMES: readonly string[] = [];

/**
 * One delivery in the ring. An entry is allocated the first time the ring reaches it and overwritten in place
 * when it comes round: recording allocates no record, copy or masked headers of its own per
 * delivery. An entry refers to the request's own header object, masked only when a page shows
 * it; keeping those alive for the last `maxEntries` deliveries is, by measurement, most of what
 * recording still costs the garbage collector, and copying them (as JSON, even outside the heap)
 * cost as much in CPU. Numbers are never `undefined` (`NaN`, or `-1`
 * for a count, stands for "none"), so V8 keeps them unboxed in the entry instead of holding on
 * to each delivery's own number objects.
 */
class Entry {
  /** 0: never used. */
  sequence = 0;
  at = 0;
  source = '';
  tenant: string | undefined = undefined;
  deliveryId: string | undefined = undefined;
  event: string | undefined = undefined;
  outcome: WebhookOutcome = 'verified';
  reason: string | undefined = undefined;
  detail: string | undefined = undefined;
  status = -1;
  via: 'request' | 'queue' = 'request';
  verifyMs = NaN;
  validateMs = NaN;
  handlersMs = NaN;
  verified = false;
  handlers: readonly WebhookHandlerRun[] = NO_RUNS;
  headers: WebhookHeaders | undefined = undefined;
  sensitiveHeaders: readonly string[] = NO_NAMES;
  body: string | undefined = undefined;
  bodyBytes = -1;
  /**
   * Set while the delivery is verified and its final outcome has not come: the key it is open
   * under, its delivery id or else {@link openKeyOf}'s full key (which holds NULs, so never an id).
   */
  openKey: string | undefined = undefined;
}

/**
 * The deliveries verified whose final outcome has not come yet, keyed by delivery id alone: the
 * final outcome carries the very string its `verified` did, so finding it builds and hashes no new
 * key. An id open under two sources or tenants at once (rare) goes to a second map, by full key.
 */
class OpenDeliveries {
  private readonly byId = new Map<string, Entry>();
  private readonly byFullKey = new Map<string, Entry>();

  /** Opens a verified entry (it has a delivery id); a repeat in the same source and tenant replaces the older. */
  add(entry: Entry): void {
    const id = entry.deliveryId!;
    const current = this.byId.get(id);
    if (current === undefined || sameScope(current, entry)) {
      // A repeat replaces its scope's older open entry, wherever that was opened.
      if (this.byFullKey.size > 0) this.byFullKey.delete(openKeyOf(entry)!);
      this.byId.set(id, entry);
      entry.openKey = id;
    } else {
      entry.openKey = openKeyOf(entry)!;
      this.byFullKey.set(entry.openKey, entry);
    }
  }

  /** The open entry a final outcome completes, no longer open; `undefined` when there is none. */
  take(facts: WebhookOutcomeFacts, deliveryId: string): Entry | undefined {
    const candidate = this.byId.get(deliveryId);
    if (candidate !== undefined && sameScope(candidate, facts)) {
      this.remove(candidate);
      return candidate;
    }
    if (this.byFullKey.size === 0) return undefined;
    const entry = this.byFullKey.get(openKeyOf(facts)!);
    if (entry) this.remove(entry);
    return entry;
  }

  /** Closes an entry, if it is still open (before the ring reuses it, or when its final outcome came). */
  remove(entry: Entry): void {
    if (entry.openKey === undefined) return;
    const map = entry.openKey === entry.deliveryId ? this.byId : this.byFullKey;
    if (map.get(entry.openKey) === entry) map.delete(entry.openKey);
    entry.openKey = undefined;
  }
}

function sameScope(entry: Entry, other: Pick<WebhookOutcomeFacts, 'source' | 'tenant'>): boolean {
  return entry.source === other.source && entry.tenant === other.tenant;
}

/** Options of {@link MemoryDashboardStore}. */
export interface MemoryDashboardStoreOptions {
  readonly maxEntries: number;
  /** Keep the first {@link MAX_SHOWN_BODY_BYTES} of each body, as text. */
  readonly showBodies?: boolean;
}

/**
 * The default dashboard store: a ring buffer of the last `maxEntries` deliveries in this
 * process's memory, and per-minute counters for a day. An append writes a few fields into
 * an existing entry; a record is built, and its headers masked, only when a page reads it.
 */
export class MemoryDashboardStore implements DashboardStore {
  /** Allocated as the ring first fills: a large `maxEntries` costs memory only once used. */
  private readonly entries: (Entry | undefined)[];
  private sequence = 0;
  private readonly open = new OpenDeliveries();
  /** minute → overview row → its counts. */
  private readonly minutes = new Map<number, Map<string, SourceCounts>>();
  private currentMinute = -1;
  private currentCounts = new Map<string, SourceCounts>();

  constructor(private readonly options: MemoryDashboardStoreOptions) {
    this.entries = new Array<Entry | undefined>(options.maxEntries);
  }

  append(facts: WebhookOutcomeFacts, at: number): void {
    this.count(facts, at);
    if (facts.outcome !== 'verified' && facts.deliveryId !== undefined) {
      const pending = this.open.take(facts, facts.deliveryId);
      if (pending) {
        complete(pending, facts);
        return;
      }
    }
    this.start(facts, at);
  }

  list(filter: DashboardFilter): Promise<DashboardRecord[]> {
    const found: DashboardRecord[] = [];
    const limit = filter.limit ?? this.entries.length;
    const oldest = Math.max(1, this.sequence - this.entries.length + 1);
    for (let sequence = this.sequence; sequence >= oldest && found.length < limit; sequence -= 1) {
      const record = toRecord(this.entryAt(sequence)!);
      if (matchesFilter(record, filter)) found.push(record);
    }
    return Promise.resolve(found);
  }

  get(id: string): Promise<DashboardRecord | undefined> {
    const parsed = /^([0-9a-z]{1,12})-([0-9a-z]{1,12})$/.exec(id);
    if (!parsed) return Promise.resolve(undefined);
    const sequence = parseInt(parsed[2]!, 36);
    const entry = sequence >= 1 ? this.entryAt(sequence) : undefined;
    // The ring may have come round since the link was made: the entry must still be that delivery,
    // and the id written as the store writes it (no leading zeros: one id per delivery).
    const same = entry?.sequence === sequence && id === idOf(entry);
    return Promise.resolve(same ? toRecord(entry) : undefined);
  }

  counts(fromMinute: number): Promise<MinuteCounts[]> {
    const found: MinuteCounts[] = [];
    for (const [minute, rows] of this.minutes) {
      if (minute < fromMinute) continue;
      const counts: Record<string, number> = {};
      for (const [source, row] of rows) {
        for (const [column, count] of row.columns()) counts[JSON.stringify([source, column])] = count;
      }
      found.push({ minute, counts });
    }
    return Promise.resolve(found.sort((a, b) => a.minute - b.minute));
  }

  private entryAt(sequence: number): Entry | undefined {
    return this.entries[sequence % this.entries.length];
  }

  /** A delivery's first outcome takes the oldest entry. */
  private start(facts: WebhookOutcomeFacts, at: number): void {
    this.sequence += 1;
    const entry = (this.entries[this.sequence % this.entries.length] ??= new Entry());
    this.open.remove(entry);
    fill(entry, this.sequence, facts, at, this.options.showBodies === true);
    if (facts.outcome === 'verified' && facts.deliveryId !== undefined) this.open.add(entry);
  }

  private count(facts: WebhookOutcomeFacts, at: number): void {
    const minute = minuteOf(at);
    if (minute !== this.currentMinute) this.enterMinute(minute);
    const source = countedSourceOf(facts);
    let row = this.currentCounts.get(source);
    if (!row) {
      row = new SourceCounts();
      this.currentCounts.set(source, row);
    }
    row.add(facts);
  }

  private enterMinute(minute: number): void {
    let rows = this.minutes.get(minute);
    if (!rows) {
      rows = new Map();
      this.minutes.set(minute, rows);
      // A new minute is the moment to forget the minutes older than a day.
      for (const old of this.minutes.keys()) if (old <= minute - COUNTED_MINUTES) this.minutes.delete(old);
    }
    this.currentMinute = minute;
    this.currentCounts = rows;
  }
}

/** One overview row's counts in one minute: a field per outcome, a map only for rejections by reason. */
class SourceCounts {
  private verified = 0;
  private handled = 0;
  private duplicate = 0;
  private failed = 0;
  private readonly rejected = new Map<string, number>();

  add(facts: WebhookOutcomeFacts): void {
    switch (facts.outcome) {
      case 'verified':
        this.verified += 1;
        return;
      case 'handled':
        this.handled += 1;
        return;
      case 'duplicate':
        this.duplicate += 1;
        return;
      case 'failed':
        this.failed += 1;
        return;
      case 'rejected': {
        const column = countedOutcomeOf(facts);
        this.rejected.set(column, (this.rejected.get(column) ?? 0) + 1);
      }
    }
  }

  /** The counts that are not zero, by the column names every store uses ({@link countedOutcomeOf}). */
  *columns(): Iterable<[string, number]> {
    const counted: [WebhookOutcome, number][] = [
      ['verified', this.verified],
      ['handled', this.handled],
      ['duplicate', this.duplicate],
      ['failed', this.failed],
    ];
    for (const [column, count] of counted) if (count > 0) yield [column, count];
    yield* this.rejected;
  }
}

/** Overwrites an entry with a delivery's first outcome. */
function fill(entry: Entry, sequence: number, facts: WebhookOutcomeFacts, at: number, showBodies: boolean): void {
  entry.sequence = sequence;
  entry.at = at;
  entry.source = facts.source;
  entry.tenant = facts.tenant;
  entry.deliveryId = facts.deliveryId;
  entry.event = facts.event;
  entry.outcome = facts.outcome;
  entry.reason = facts.reason;
  entry.detail = facts.detail;
  entry.status = facts.status ?? -1;
  entry.via = facts.via ?? 'request';
  entry.verifyMs = facts.durations?.verifyMs ?? NaN;
  entry.validateMs = facts.durations?.validateMs ?? NaN;
  entry.handlersMs = facts.durations?.handlersMs ?? NaN;
  entry.verified = facts.outcome !== 'rejected';
  entry.handlers = facts.handlers ?? NO_RUNS;
  entry.headers = facts.headers;
  entry.sensitiveHeaders = facts.sensitiveHeaders ?? NO_NAMES;
  const rawBody = facts.rawBody;
  entry.body = showBodies && rawBody ? rawBody.subarray(0, MAX_SHOWN_BODY_BYTES).toString('utf8') : undefined;
  entry.bodyBytes = rawBody?.length ?? -1;
}

/** Adds a delivery's final outcome to the entry its `verified` opened: later facts win, earlier ones stay. */
function complete(entry: Entry, facts: WebhookOutcomeFacts): void {
  entry.outcome = facts.outcome;
  entry.via = facts.via ?? 'request';
  entry.verified ||= facts.outcome !== 'rejected';
  entry.event = facts.event ?? entry.event;
  entry.reason = facts.reason ?? entry.reason;
  entry.detail = facts.detail ?? entry.detail;
  entry.status = facts.status ?? entry.status;
  entry.verifyMs = facts.durations?.verifyMs ?? entry.verifyMs;
  entry.validateMs = facts.durations?.validateMs ?? entry.validateMs;
  entry.handlersMs = facts.durations?.handlersMs ?? entry.handlersMs;
  if (facts.handlers && facts.handlers.length > 0) entry.handlers = facts.handlers;
  if (entry.headers === undefined) {
    entry.headers = facts.headers;
    entry.sensitiveHeaders = facts.sensitiveHeaders ?? NO_NAMES;
  }
}

/** The dashboard's id of an entry's delivery: when it arrived, and its place in the sequence. */
function idOf(entry: Entry): string {
  return `${entry.at.toString(36)}-${entry.sequence.toString(36)}`;
}

/** What a page gets of an entry: a copy, headers masked. */
function toRecord(entry: Entry): DashboardRecord {
  return withoutUndefined<DashboardRecord>({
    id: idOf(entry),
    at: entry.at,
    source: entry.source,
    tenant: entry.tenant,
    deliveryId: entry.deliveryId,
    event: entry.event,
    outcome: entry.outcome,
    reason: entry.reason,
    detail: entry.detail,
    status: entry.status < 0 ? undefined : entry.status,
    via: entry.via,
    verifyMs: Number.isNaN(entry.verifyMs) ? undefined : entry.verifyMs,
    validateMs: Number.isNaN(entry.validateMs) ? undefined : entry.validateMs,
    handlersMs: Number.isNaN(entry.handlersMs) ? undefined : entry.handlersMs,
    verified: entry.verified,
    handlers: entry.handlers,
    headers: maskHeaders(entry.headers ?? {}, entry.sensitiveHeaders),
    body: entry.body,
    bodyBytes: entry.bodyBytes < 0 ? undefined : entry.bodyBytes,
  });
}
