import type { WebhookHandlerRun, WebhookOutcome } from '../module/webhook-events.js';
import type { ReplayResult } from '../module/webhook-deliveries.service.js';

/** One source's counts in a window; `rejected` is the sum of `rejectedByReason`. */
export interface DashboardOutcomeCounts {
  readonly verified: number;
  readonly handled: number;
  readonly duplicate: number;
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
  readonly duplicate: number;
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

/** A delivery in the list. */
export interface DashboardDeliverySummary {
  readonly id: string;
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
  /** Only with `dashboard.showBodies`. */
  readonly body?: string;
  readonly bodyBytes?: number;
}

/** A dead letter, as the dashboard lists it. */
export interface DashboardDeadLetter {
  readonly id: string;
  readonly source: string;
  readonly deliveryId: string;
  readonly event?: string;
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
