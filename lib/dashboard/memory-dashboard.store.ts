import type { WebhookHandlerRun } from '../core/errors/index.js';
import type { WebhookOutcome, WebhookOutcomeEvent } from '../module/webhook-events.js';
import {
  MAX_SHOWN_BODY_BYTES,
  countedOutcomeOf,
  countedSourceOf,
  provesAuthentic,
  refusedUnverified,
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

/**
 * How many of the newest verified entries an attempt's final outcome is looked for in, before
 * the map of entries still open past them: attempts of a few concurrent requests finish within
 * it, and a scan this short costs less than a map entry per attempt.
 */
const RECENT_ENTRIES = 32;

/** The two rings: attempts proven authentic (or at least verified first), and requests refused before that. */
type RingKind = 'v' | 'r';

/**
 * An entry's fractional numbers, kept in its ring's typed arrays rather than in the entry: an
 * object's field holding a fraction (or a time in ms) is a number object of its own, one more
 * per field to be copied and traced by the garbage collector for as long as the ring keeps it.
 */
const AT = 0;
const VERIFY_MS = 1;
const VALIDATE_MS = 2;
const HANDLERS_MS = 3;
const NUMBERS_PER_ENTRY = 4;
/** Entries per block of a ring's numbers: blocks are made as the ring first fills. */
const NUMBER_BLOCK_ENTRIES = 1024;

/**
 * Header values kept by the store's entries, by themselves: most values (a host, a content
 * type, a user agent) come again with every delivery, and an entry that points at the one kept
 * here leaves the request's own copy to die young. Bounded; anyone can send new values, so when
 * full it starts again rather than growing.
 */
class HeaderValues {
  private readonly values = new Map<string, string>();

  /** Replaces each short value of `headers` by the same text kept here (invisible to any reader). */
  share(headers: Readonly<Record<string, string | readonly string[]>>): void {
    if (Object.isFrozen(headers)) return;
    const writable = headers as Record<string, string | readonly string[]>;
    for (const name of Object.keys(writable)) {
      const value = writable[name];
      if (typeof value !== 'string' || value.length > MAX_SHARED_VALUE_LENGTH) continue;
      const kept = this.values.get(value);
      if (kept !== undefined) writable[name] = kept;
      else this.keep(value);
    }
  }

  private keep(value: string): void {
    if (this.values.size >= MAX_SHARED_VALUES) this.values.clear();
    this.values.set(value, value);
  }
}

const MAX_SHARED_VALUES = 512;
const MAX_SHARED_VALUE_LENGTH = 64;

/**
 * One attempt in a ring, made when its first outcome is recorded and completed in place by its
 * final one (a moment later, while it is still a young object in the CPU's cache). A new entry
 * per attempt, rather than the ring's oldest one overwritten: that one is an old object, out of
 * the cache, and each of its fields written to point at the new attempt's strings would be
 * one more old-to-young pointer for the garbage collector to track. An entry keeps the masked
 * headers of its attempt's first event (the event masks them once, when first read), never
 * the event itself: that would keep its raw body alive too, and a ring of forged 1 MB requests
 * would hold a gigabyte. Nor the request's own headers: their credentials must not outlive the
 * request. Its time and durations are in its ring (see {@link AT}); its other numbers are never
 * `undefined` (`-1` stands for "none"), so V8 keeps them in the entry's own fields.
 */
class Entry {
  attemptId: string;
  source: string;
  tenant: string | undefined;
  deliveryId: string | undefined;
  event: string | undefined;
  outcome: WebhookOutcome;
  reason: string | undefined;
  detail: string | undefined;
  status: number;
  via: 'request' | 'queue';
  verified: boolean;
  handlers: readonly WebhookHandlerRun[];
  /** Its attempt's headers, as its first event gives them: masked. */
  headers: Readonly<Record<string, string | readonly string[]>>;
  body: string | undefined;
  bodyBytes: number;
  /** Whether it waits for its attempt's final outcome. */
  open = false;

  constructor(
    /** The entry's place in its ring's sequence, from 1. */
    readonly sequence: number,
    /** Its place among the entries of both rings, to list them newest first. */
    readonly order: number,
    event: WebhookOutcomeEvent,
    headers: Readonly<Record<string, string | readonly string[]>>,
    showBodies: boolean,
  ) {
    const rawBody = event.rawBody;
    this.attemptId = event.attemptId;
    this.source = event.source;
    this.tenant = event.tenant;
    this.deliveryId = event.deliveryId;
    this.event = event.event;
    this.outcome = event.outcome;
    this.reason = event.reason;
    this.detail = event.detail;
    this.status = event.status ?? -1;
    this.via = event.via;
    this.verified = provesAuthentic(event);
    this.handlers = event.handlers;
    this.headers = headers;
    this.body = showBodies && rawBody ? rawBody.subarray(0, MAX_SHOWN_BODY_BYTES).toString('utf8') : undefined;
    this.bodyBytes = rawBody?.length ?? -1;
  }
}

/** The last `size` entries of one kind, each replaced by a new one as the ring comes round. */
class Ring {
  /** Allocated as the ring first fills: a large `maxEntries` costs memory only once used. */
  private readonly entries: (Entry | undefined)[];
  /** The time and durations of each place's entry (`NaN` for none), in blocks. */
  private readonly numberBlocks: Float64Array[] = [];
  private readonly blockEntries: number;
  /** How many entries were ever started in it: the newest one's sequence. */
  count = 0;

  constructor(
    readonly kind: RingKind,
    readonly size: number,
  ) {
    this.entries = new Array<Entry | undefined>(size);
    this.blockEntries = Math.min(size, NUMBER_BLOCK_ENTRIES);
  }

  /** One of the numbers ({@link AT}, {@link VERIFY_MS}, ...) of the entry of a sequence the ring holds. */
  numberOf(sequence: number, field: number): number {
    const place = sequence % this.size;
    const block = this.numberBlocks[Math.floor(place / this.blockEntries)];
    return block === undefined ? NaN : block[(place % this.blockEntries) * NUMBERS_PER_ENTRY + field]!;
  }

  setNumber(sequence: number, field: number, value: number): void {
    const place = sequence % this.size;
    const index = Math.floor(place / this.blockEntries);
    const block = (this.numberBlocks[index] ??= new Float64Array(this.blockEntries * NUMBERS_PER_ENTRY));
    block[(place % this.blockEntries) * NUMBERS_PER_ENTRY + field] = value;
  }

  /** The next sequence's place: the oldest entry (or nothing, while the ring first fills), to be replaced. */
  advance(): Entry | undefined {
    this.count += 1;
    return this.entries[this.count % this.size];
  }

  /** Puts the entry of the newest sequence in its place, with its event's time and durations. */
  put(entry: Entry, event: WebhookOutcomeEvent): void {
    const sequence = entry.sequence;
    const durations = event.durations;
    this.entries[sequence % this.size] = entry;
    this.setNumber(sequence, AT, event.atMs);
    this.setNumber(sequence, VERIFY_MS, durations.verifyMs ?? NaN);
    this.setNumber(sequence, VALIDATE_MS, durations.validateMs ?? NaN);
    this.setNumber(sequence, HANDLERS_MS, durations.handlersMs ?? NaN);
  }

  /** The entry of a sequence, while the ring still holds that attempt. */
  at(sequence: number): Entry | undefined {
    if (sequence < 1 || sequence > this.count || sequence <= this.count - this.size) return undefined;
    const entry = this.entries[sequence % this.size];
    return entry?.sequence === sequence ? entry : undefined;
  }

  /** The oldest sequence it still holds. */
  get oldest(): number {
    return Math.max(1, this.count - this.size + 1);
  }
}

/** Options of {@link MemoryDashboardStore}. */
export interface MemoryDashboardStoreOptions {
  /** How many attempts each ring keeps: the verified, and the requests refused before verification. */
  readonly maxEntries: number;
  /** Keep the first {@link MAX_SHOWN_BODY_BYTES} of each body, as text. */
  readonly showBodies?: boolean;
}

/**
 * The default dashboard store: two ring buffers in this process's memory, of the last
 * `maxEntries` attempts that were verified (or ran on a queue worker), and of the last
 * `maxEntries` requests refused before verification, which anyone can send and so can only
 * push out their like; and per-minute counters for a day. An append makes one small entry (or
 * completes one); a record is built only when a page reads it.
 */
export class MemoryDashboardStore implements DashboardStore {
  private readonly verifiedRing: Ring;
  private readonly refusedRing: Ring;
  private order = 0;
  /** How many verified entries wait for their attempt's final outcome. */
  private openCount = 0;
  /**
   * By attempt id, the open entries older than the {@link RECENT_ENTRIES} newest: an attempt
   * still running when that many others began (a slow handler) is found here.
   */
  private readonly openPastRecent = new Map<string, Entry>();
  /**
   * The attempt ids of the {@link RECENT_ENTRIES} newest verified entries that are open, at
   * their sequence modulo that count (`undefined` for one that was never opened, or is closed):
   * an attempt's final outcome finds its entry by comparing a few recent strings, and an entry
   * leaving the recent ones is known to be closed, without reading the entries themselves
   * (objects that are mostly out of the CPU's cache by then).
   */
  private readonly recentOpenIds = new Array<string | undefined>(RECENT_ENTRIES).fill(undefined);
  /** minute → overview row → its counts. */
  private readonly minutes = new Map<number, Map<string, SourceCounts>>();
  private currentMinute = -1;
  private currentCounts = new Map<string, SourceCounts>();
  private readonly headerValues = new HeaderValues();

  constructor(private readonly options: MemoryDashboardStoreOptions) {
    this.verifiedRing = new Ring('v', options.maxEntries);
    this.refusedRing = new Ring('r', options.maxEntries);
  }

  append(event: WebhookOutcomeEvent): void {
    this.count(event);
    // A request refused before verification never completes an attempt: anyone can send one, so it costs no search.
    const refused = refusedUnverified(event);
    if (!refused && event.outcome !== 'verified' && this.openCount > 0) {
      const pending = this.openEntryOf(event.attemptId);
      if (pending !== undefined) {
        this.closeEntry(pending);
        complete(pending, this.verifiedRing, event);
        return;
      }
    }
    this.start(event, refused);
  }

  list(filter: DashboardFilter): Promise<DashboardRecord[]> {
    const found: DashboardRecord[] = [];
    const limit = filter.limit ?? this.verifiedRing.size + this.refusedRing.size;
    // Both rings newest first, merged by the order their entries were started in.
    let v = this.verifiedRing.count;
    let r = this.refusedRing.count;
    const vOldest = this.verifiedRing.oldest;
    const rOldest = this.refusedRing.oldest;
    while (found.length < limit) {
      const fromV = v >= vOldest ? this.verifiedRing.at(v) : undefined;
      const fromR = r >= rOldest ? this.refusedRing.at(r) : undefined;
      if (!fromV && !fromR) break;
      let record: DashboardRecord;
      if (fromV && (!fromR || fromV.order > fromR.order)) {
        record = toRecord(fromV, this.verifiedRing);
        v -= 1;
      } else {
        record = toRecord(fromR!, this.refusedRing);
        r -= 1;
      }
      if (matchesFilter(record, filter)) found.push(record);
    }
    return Promise.resolve(found);
  }

  get(id: string): Promise<DashboardRecord | undefined> {
    const parsed = /^([0-9a-z]{1,12})-([vr])([0-9a-z]{1,12})$/.exec(id);
    if (!parsed) return Promise.resolve(undefined);
    const ring = parsed[2] === 'v' ? this.verifiedRing : this.refusedRing;
    const entry = ring.at(parseInt(parsed[3]!, 36));
    // The ring may have come round since the link was made: the entry must still be that attempt, and the
    // id written as the store writes it (no leading zeros, the right time: one id per attempt).
    return Promise.resolve(entry !== undefined && id === idOf(entry, ring) ? toRecord(entry, ring) : undefined);
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

  /** An attempt's first outcome replaces the oldest entry of its ring. */
  private start(event: WebhookOutcomeEvent, refused: boolean): void {
    // Read first: whatever reading the event does, no entry is left half made.
    const headers = event.headers;
    this.headerValues.share(headers);
    const ring = refused ? this.refusedRing : this.verifiedRing;
    const replaced = ring.advance();
    // Its attempt never completed (or not yet): it is forgotten with its entry. An entry still open when the ring
    // comes round is in the map of those past the recent ones: when the map is empty, the old entry is not read.
    if ((ring.size <= RECENT_ENTRIES || this.openPastRecent.size > 0) && replaced?.open === true) {
      this.closeEntry(replaced);
    }
    this.order += 1;
    const entry = new Entry(ring.count, this.order, event, headers, this.options.showBodies === true);
    ring.put(entry, event);
    if (refused) return;
    if (event.outcome === 'verified') {
      entry.open = true;
      this.openCount += 1;
    }
    const slot = ring.count % RECENT_ENTRIES;
    // The slot's id was the entry's that just left the recent ones, if its attempt is still running: from now on
    // it is looked for by id.
    const leavingId = this.recentOpenIds[slot];
    this.recentOpenIds[slot] = entry.open ? entry.attemptId : undefined;
    if (leavingId === undefined) return;
    const leaving = ring.at(ring.count - RECENT_ENTRIES);
    if (leaving?.open) this.openPastRecent.set(leaving.attemptId, leaving);
  }

  /** The open entry of an attempt: among the newest verified entries, else among the older ones still open. */
  private openEntryOf(attemptId: string): Entry | undefined {
    const ring = this.verifiedRing;
    const oldest = Math.max(ring.oldest, ring.count - RECENT_ENTRIES + 1);
    for (let sequence = ring.count; sequence >= oldest; sequence -= 1) {
      if (this.recentOpenIds[sequence % RECENT_ENTRIES] !== attemptId) continue;
      // Read only on a match: the entry of that sequence, if the attempt still waits in it.
      const entry = ring.at(sequence);
      if (entry?.open === true && entry.attemptId === attemptId) return entry;
    }
    return this.openPastRecent.size > 0 ? this.openPastRecent.get(attemptId) : undefined;
  }

  private closeEntry(entry: Entry): void {
    entry.open = false;
    this.openCount -= 1;
    const slot = entry.sequence % RECENT_ENTRIES;
    if (entry.sequence > this.verifiedRing.count - RECENT_ENTRIES && this.recentOpenIds[slot] === entry.attemptId) {
      this.recentOpenIds[slot] = undefined;
    }
    if (this.openPastRecent.size > 0 && this.openPastRecent.get(entry.attemptId) === entry) {
      this.openPastRecent.delete(entry.attemptId);
    }
  }

  private count(event: WebhookOutcomeEvent): void {
    const minute = minuteOf(event.atMs);
    if (minute !== this.currentMinute) this.enterMinute(minute);
    const source = countedSourceOf(event);
    let row = this.currentCounts.get(source);
    if (!row) {
      row = new SourceCounts();
      this.currentCounts.set(source, row);
    }
    row.add(event);
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
  private handshake = 0;
  private queued = 0;
  private handled = 0;
  private duplicate = 0;
  private failed = 0;
  private readonly rejected = new Map<string, number>();

  add(event: WebhookOutcomeEvent): void {
    switch (event.outcome) {
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
      case 'queued':
        this.queued += 1;
        return;
      case 'handshake':
        this.handshake += 1;
        return;
      case 'rejected': {
        const column = countedOutcomeOf(event);
        this.rejected.set(column, (this.rejected.get(column) ?? 0) + 1);
      }
    }
  }

  /** The counts that are not zero, by the column names every store uses ({@link countedOutcomeOf}). */
  *columns(): Iterable<[string, number]> {
    const counted: [WebhookOutcome, number][] = [
      ['verified', this.verified],
      ['handshake', this.handshake],
      ['queued', this.queued],
      ['handled', this.handled],
      ['duplicate', this.duplicate],
      ['failed', this.failed],
    ];
    for (const [column, count] of counted) if (count > 0) yield [column, count];
    yield* this.rejected;
  }
}

/**
 * Adds an attempt's final outcome to the entry its `verified` opened: later facts win, earlier ones
 * stay (it stays verified: a refusal after verification, of its payload say, proved nothing false).
 */
function complete(entry: Entry, ring: Ring, event: WebhookOutcomeEvent): void {
  const durations = event.durations;
  const sequence = entry.sequence;
  entry.outcome = event.outcome;
  entry.via = event.via;
  entry.event = event.event ?? entry.event;
  entry.reason = event.reason ?? entry.reason;
  entry.detail = event.detail ?? entry.detail;
  entry.status = event.status ?? entry.status;
  if (durations.verifyMs !== undefined) ring.setNumber(sequence, VERIFY_MS, durations.verifyMs);
  if (durations.validateMs !== undefined) ring.setNumber(sequence, VALIDATE_MS, durations.validateMs);
  if (durations.handlersMs !== undefined) ring.setNumber(sequence, HANDLERS_MS, durations.handlersMs);
  if (event.handlers.length > 0) entry.handlers = event.handlers;
}

/** The dashboard's id of an entry: when its attempt began, its ring, and its place in that ring's sequence. */
function idOf(entry: Entry, ring: Ring): string {
  return `${ring.numberOf(entry.sequence, AT).toString(36)}-${ring.kind}${entry.sequence.toString(36)}`;
}

/** What a page gets of an entry: a copy (its masked headers shared: pages only read them). */
function toRecord(entry: Entry, ring: Ring): DashboardRecord {
  const numberOf = (field: number): number | undefined => {
    const value = ring.numberOf(entry.sequence, field);
    return Number.isNaN(value) ? undefined : value;
  };
  return withoutUndefined<DashboardRecord>({
    id: idOf(entry, ring),
    at: ring.numberOf(entry.sequence, AT),
    attemptId: entry.attemptId,
    source: entry.source,
    tenant: entry.tenant,
    deliveryId: entry.deliveryId,
    event: entry.event,
    outcome: entry.outcome,
    reason: entry.reason,
    detail: entry.detail,
    status: entry.status < 0 ? undefined : entry.status,
    via: entry.via,
    verifyMs: numberOf(VERIFY_MS),
    validateMs: numberOf(VALIDATE_MS),
    handlersMs: numberOf(HANDLERS_MS),
    verified: entry.verified,
    handlers: entry.handlers,
    headers: entry.headers,
    body: entry.body,
    bodyBytes: entry.bodyBytes < 0 ? undefined : entry.bodyBytes,
  });
}
