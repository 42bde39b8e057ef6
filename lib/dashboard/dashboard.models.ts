import type { WebhookHandlerRun } from '../core/errors/index.js';
import type { WebhookOutcome } from '../module/webhook-events.js';
import type { ReplayResult } from '../module/webhook-deliveries.service.js';

/** One source's counts of outcomes in a window; `rejected` is the sum of `rejectedByReason`. */
export interface DashboardOutcomeCounts {
  readonly verified: number;
  readonly handled: number;
  /** Put on the queue (queue mode); each worker's run then counts as `handled` or `failed`. */
  readonly queued: number;
  readonly duplicate: number;
  /** A sender's handshake (Slack's `url_verification`, Discord's PING), answered by the module. */
  readonly handshake: number;
  readonly rejected: number;
  readonly failed: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
}

/** The overview of one source. */
export interface DashboardSourceOverview {
  readonly source: string;
  readonly lastHour: DashboardOutcomeCounts;
  readonly last24Hours: DashboardOutcomeCounts;
}

/** One bar of the overview's chart: the final outcomes of one minute. */
export interface DashboardTimelineBucket {
  readonly start: string;
  readonly handled: number;
  readonly queued: number;
  readonly duplicate: number;
  readonly handshake: number;
  readonly rejected: number;
  readonly failed: number;
}

/** The overview page (its JSON twin as is). */
export interface DashboardOverview {
  readonly generatedAt: string;
  readonly sources: readonly DashboardSourceOverview[];
  /** The last hour, minute by minute, oldest first. */
  readonly timeline: readonly DashboardTimelineBucket[];
}

/** An attempt at a delivery, in the list: one per attempt (a sender's retry, or a queue worker's run, is another). */
export interface DashboardDeliverySummary {
  /** The dashboard's own id of the entry, for its page's URL. */
  readonly id: string;
  /** The attempt's id: the same as in its `WebhookEvents` events and its log lines. */
  readonly attemptId: string;
  /** When the attempt began. */
  readonly at: string;
  readonly source: string;
  readonly tenant?: string;
  readonly event?: string;
  readonly deliveryId?: string;
  readonly outcome: WebhookOutcome;
  readonly reason?: string;
  readonly status?: number;
  readonly via: 'request' | 'queue';
  readonly verifyMs?: number;
  readonly validateMs?: number;
  readonly handlersMs?: number;
}

/** The recent deliveries page. */
export interface DashboardDeliveryList {
  readonly filters: { readonly source?: string; readonly outcome?: WebhookOutcome; readonly reason?: string };
  /** What the filters offer: configured sources and the reasons seen. */
  readonly sources: readonly string[];
  readonly reasons: readonly string[];
  readonly deliveries: readonly DashboardDeliverySummary[];
}

/** One delivery's page. */
export interface DashboardDeliveryDetail extends DashboardDeliverySummary {
  /** Whether its signature was proven. */
  readonly verified: boolean;
  readonly detail?: string;
  readonly handlers: readonly WebhookHandlerRun[];
  /** The request's headers; signature, token and credential headers read `[masked]`. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** Only with `showBodies`. */
  readonly body?: string;
  readonly bodyBytes?: number;
}

/** A dead letter, as the dashboard lists it. */
export interface DashboardDeadLetter {
  readonly id: string;
  readonly source: string;
  readonly deliveryId: string;
  readonly event?: string;
  /** Why its last attempt failed (`handler_failed`, `job_tampered`, …), when the library knew. */
  readonly reason?: string;
  readonly error: string;
  readonly attempts: number;
  readonly failedAt: string;
}

/** The dead letters page. */
export interface DashboardDeadLetters {
  /** Dead letters exist in queue mode only. */
  readonly queueMode: boolean;
  readonly deadLetters: readonly DashboardDeadLetter[];
  /** The anti-forgery token to send with a replay (`csrf` form field or `x-csrf-token` header), with the session cookie. */
  readonly csrfToken: string;
}

/** A replay's page. */
export interface DashboardReplay {
  readonly results: readonly ReplayResult[];
}
