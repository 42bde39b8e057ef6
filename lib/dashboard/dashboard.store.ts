import type { WebhookOutcome, WebhookOutcomeEvent } from '../module/webhook-events.js';
import type { DashboardRecord } from './dashboard-record.js';

/** Which recent attempts to list. */
export interface DashboardFilter {
  readonly source?: string;
  readonly outcome?: WebhookOutcome;
  readonly reason?: string;
  /** At most this many, newest first. */
  readonly limit?: number;
}

/** The counters of one minute: `JSON.stringify([source, outcome or 'rejected:<reason>'])` → count. */
export interface MinuteCounts {
  /** Minutes since the epoch. */
  readonly minute: number;
  readonly counts: Readonly<Record<string, number>>;
}

/** How long the per-minute counters are kept: the overview's longest window. */
export const COUNTED_MINUTES = 24 * 60;

/**
 * Where the dashboard keeps recent attempts at deliveries (one record each) and the overview's
 * counters. `append` is on the delivery's path: it must be cheap and never wait.
 */
export interface DashboardStore {
  /**
   * Records an outcome as `WebhookEvents` handed it out (its headers masked by the event):
   * a `verified` opens a record of its attempt; the final outcome with the same `attemptId`
   * completes it. An outcome with no open record of its attempt is a record of its own.
   */
  append(event: WebhookOutcomeEvent): void;
  /** Recent attempts, newest first. */
  list(filter: DashboardFilter): Promise<DashboardRecord[]>;
  /** One record by its dashboard id. */
  get(id: string): Promise<DashboardRecord | undefined>;
  /** The counters of the minutes from `fromMinute` on (those with any count). */
  counts(fromMinute: number): Promise<MinuteCounts[]>;
  close?(): Promise<void>;
}

/** The minute of a time in ms. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / 60_000);
}

/** Whether a record passes a filter. */
export function matchesFilter(record: DashboardRecord, filter: DashboardFilter): boolean {
  return (
    (filter.source === undefined || record.source === filter.source) &&
    (filter.outcome === undefined || record.outcome === filter.outcome) &&
    (filter.reason === undefined || record.reason === filter.reason)
  );
}
