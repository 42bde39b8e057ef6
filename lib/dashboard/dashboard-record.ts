import {
  maskHeaders,
  type WebhookHandlerRun,
  type WebhookOutcome,
  type WebhookOutcomeFacts,
} from '../module/webhook-events.js';

/** How much of a body the dashboard keeps, when it shows bodies at all. */
export const MAX_SHOWN_BODY_BYTES = 64 * 1024;

/** One outcome as the Redis dashboard store keeps it: masked, body only when shown. */
export interface DashboardUpdate {
  /** When it happened, in ms since the epoch (a record's: when the delivery arrived). */
  readonly at: number;
  readonly source: string;
  readonly tenant?: string;
  readonly deliveryId?: string;
  readonly event?: string;
  readonly outcome: WebhookOutcome;
  readonly reason?: string;
  readonly detail?: string;
  readonly status?: number;
  readonly via: 'request' | 'queue';
  readonly verifyMs?: number;
  readonly validateMs?: number;
  readonly handlersMs?: number;
  readonly handlers?: readonly WebhookHandlerRun[];
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  /** The body as text (lossy for binary parts), only with `showBodies`. */
  readonly body?: string;
  readonly bodyBytes?: number;
}

/** One delivery in the dashboard: its `verified` event merged with its final outcome's. */
export interface DashboardRecord extends Omit<DashboardUpdate, 'handlers' | 'headers'> {
  /** The dashboard's own id of the record (not the sender's delivery id). */
  readonly id: string;
  /** Whether its signature was proven. */
  readonly verified: boolean;
  readonly handlers: readonly WebhookHandlerRun[];
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
}

/**
 * An outcome as the Redis store keeps it: its headers masked (by the sender's list and by
 * name, for unknown senders too), its body only when shown. The outcome that follows a
 * `verified` in the same request adds no headers or body: its record has them.
 */
export function toDashboardUpdate(facts: WebhookOutcomeFacts, at: number, showBodies: boolean): DashboardUpdate {
  const via = facts.via ?? 'request';
  const first = facts.outcome === 'verified' || facts.deliveryId === undefined || via === 'queue';
  const rawBody = first ? facts.rawBody : undefined;
  return withoutUndefined({
    at,
    source: facts.source,
    tenant: facts.tenant,
    deliveryId: facts.deliveryId,
    event: facts.event,
    outcome: facts.outcome,
    reason: facts.reason,
    detail: facts.detail,
    status: facts.status,
    via,
    verifyMs: facts.durations?.verifyMs,
    validateMs: facts.durations?.validateMs,
    handlersMs: facts.durations?.handlersMs,
    handlers: facts.handlers && facts.handlers.length > 0 ? facts.handlers : undefined,
    headers: first ? maskHeaders(facts.headers ?? {}, facts.sensitiveHeaders ?? []) : undefined,
    body: showBodies && rawBody ? rawBody.subarray(0, MAX_SHOWN_BODY_BYTES).toString('utf8') : undefined,
    bodyBytes: rawBody?.length,
  });
}

/**
 * The key that ties a delivery's final outcome to its `verified` event; none for a
 * delivery refused before its id was known (it is a record of its own).
 */
export function openKeyOf(update: Pick<DashboardUpdate, 'source' | 'tenant' | 'deliveryId'>): string | undefined {
  if (update.deliveryId === undefined) return undefined;
  // Source names and tenants hold no NUL, so the key is unambiguous.
  return `${update.source}\u0000${update.tenant ?? ''}\u0000${update.deliveryId}`;
}

/** A record built from its updates, in the order they happened; later facts win, earlier ones stay. */
export function mergeUpdates(id: string, updates: readonly DashboardUpdate[]): DashboardRecord {
  const [first, ...rest] = updates;
  if (!first) throw new RangeError('A dashboard record has at least one update.');
  let record: DashboardRecord = {
    ...definedFields(first),
    id,
    verified: first.outcome !== 'rejected',
    handlers: first.handlers ?? [],
    headers: first.headers ?? {},
  };
  for (const update of rest) {
    record = {
      ...record,
      ...definedFields(update),
      id,
      at: record.at,
      verified: record.verified || update.outcome !== 'rejected',
      handlers: update.handlers ?? record.handlers,
      headers:
        update.headers && Object.keys(update.headers).length >= Object.keys(record.headers).length
          ? update.headers
          : record.headers,
    };
  }
  return record;
}

/** An update's fields that hold a value: a later update's `undefined` must not erase an earlier fact. */
function definedFields(update: DashboardUpdate): DashboardUpdate {
  return withoutUndefined({ ...update });
}

/** The overview's counter of an outcome: per source and outcome, rejections per reason. */
export function countFieldOf(outcome: CountedOutcome): string {
  return JSON.stringify([countedSourceOf(outcome), countedOutcomeOf(outcome)]);
}

/** What an overview counter is keyed by. */
export type CountedOutcome = Pick<DashboardUpdate, 'source' | 'outcome' | 'reason'>;

/** The overview row an outcome is counted in. */
export function countedSourceOf({ source, reason }: CountedOutcome): string {
  // A requested name that is no source is any string a scanner sends: they share one row.
  return reason === 'unknown_source' ? UNKNOWN_SOURCES : source;
}

/** The overview column an outcome is counted in: the outcome, or `rejected:<reason>`. */
export function countedOutcomeOf({ outcome, reason }: CountedOutcome): string {
  return outcome === 'rejected' ? `rejected:${reason ?? 'unknown'}` : outcome;
}

/** The overview row of deliveries to routes that name no configured source. */
export const UNKNOWN_SOURCES = '(unknown sources)';

export function withoutUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}
