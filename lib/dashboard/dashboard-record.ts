import type { WebhookHandlerRun } from '../core/errors/index.js';
import type { WebhookOutcome, WebhookOutcomeEvent } from '../module/webhook-events.js';

/** How much of a body the dashboard keeps, when it shows bodies at all. */
export const MAX_SHOWN_BODY_BYTES = 64 * 1024;

/** One outcome as the Redis dashboard store keeps it: headers masked, body only when shown. */
export interface DashboardUpdate {
  /** When it happened, in ms since the epoch (a record's: when its attempt's first outcome happened). */
  readonly at: number;
  /** The attempt the outcome belongs to: the one in its `WebhookEvents` event and log line. */
  readonly attemptId: string;
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

/** One attempt in the dashboard: its first outcome (`verified`, or a refusal) completed by its final one. */
export interface DashboardRecord extends Omit<DashboardUpdate, 'handlers' | 'headers'> {
  /** The store's own id of the record (not the sender's delivery id). */
  readonly id: string;
  /** Whether its signature (or, on a queue worker, its job's seal) was proven. */
  readonly verified: boolean;
  readonly handlers: readonly WebhookHandlerRun[];
  /** Masked: signature, token and credential headers read `[masked]`. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
}

/**
 * Whether an outcome opens an attempt's record rather than completing one: a `verified`, a
 * queue worker's run (it has no `verified` of its own), or a request refused before it was
 * verified. Every other outcome of a request follows its attempt's `verified`.
 */
export function opensRecord(event: Pick<WebhookOutcomeEvent, 'outcome' | 'via' | 'deliveryId'>): boolean {
  return event.outcome === 'verified' || event.via === 'queue' || event.deliveryId === undefined;
}

/**
 * Whether an outcome is of a request refused before anything proved it authentic (it has no
 * delivery id: only verification gives one). Anyone can send those, so stores keep them apart,
 * where they push out only their like and never a verified delivery.
 */
export function refusedUnverified(event: Pick<WebhookOutcomeEvent, 'via' | 'deliveryId'>): boolean {
  return event.via === 'request' && event.deliveryId === undefined;
}

/** Whether an outcome says its attempt was proven authentic: a refusal, or a queue job whose seal failed, is not. */
export function provesAuthentic(event: Pick<DashboardUpdate, 'outcome' | 'reason'>): boolean {
  return event.outcome !== 'rejected' && event.reason !== 'job_tampered';
}

/**
 * An outcome as the Redis store keeps it: its headers masked (the event masks them, by the
 * sender's list and by name), its body only when shown. The outcome that completes an
 * attempt's record carries no headers or body: the record has them.
 */
export function toDashboardUpdate(event: WebhookOutcomeEvent, showBodies: boolean): DashboardUpdate {
  const first = opensRecord(event);
  const rawBody = first ? event.rawBody : undefined;
  const durations = event.durations;
  return withoutUndefined<DashboardUpdate>({
    at: event.atMs,
    attemptId: event.attemptId,
    source: event.source,
    tenant: event.tenant,
    deliveryId: event.deliveryId,
    event: event.event,
    outcome: event.outcome,
    reason: event.reason,
    detail: event.detail,
    status: event.status,
    via: event.via,
    verifyMs: durations.verifyMs,
    validateMs: durations.validateMs,
    handlersMs: durations.handlersMs,
    handlers: event.handlers.length > 0 ? event.handlers : undefined,
    headers: first ? event.headers : undefined,
    body: showBodies && rawBody ? rawBody.subarray(0, MAX_SHOWN_BODY_BYTES).toString('utf8') : undefined,
    bodyBytes: rawBody?.length,
  });
}

/** A record built from its updates, in the order they happened; later facts win, earlier ones stay. */
export function mergeUpdates(
  id: string,
  [first, ...rest]: readonly [DashboardUpdate, ...DashboardUpdate[]],
): DashboardRecord {
  let record: DashboardRecord = {
    ...definedFields(first),
    id,
    verified: provesAuthentic(first),
    handlers: first.handlers ?? [],
    headers: first.headers ?? {},
  };
  for (const update of rest) {
    record = {
      ...record,
      ...definedFields(update),
      id,
      at: record.at,
      attemptId: record.attemptId,
      verified: record.verified || provesAuthentic(update),
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
