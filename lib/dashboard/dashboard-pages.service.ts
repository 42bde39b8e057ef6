import { Inject, Injectable, Optional } from '@nestjs/common';
import { WebhookConfigurationError } from '../core/errors/index.js';
import type { WebhookOutcome } from '../module/webhook-events.js';
import { WebhookDeliveries, type ReplayResult } from '../module/webhook-deliveries.service.js';
import { DashboardRecorder } from './dashboard-recorder.service.js';
import { withoutUndefined, type DashboardRecord } from './dashboard-record.js';
import { DashboardCsrf, type CsrfIssue } from './dashboard-csrf.js';
import type {
  DashboardDeadLetters,
  DashboardDeliveryDetail,
  DashboardDeliveryList,
  DashboardDeliverySummary,
  DashboardOutcomeCounts,
  DashboardOverview,
  DashboardReplay,
  DashboardTimelineBucket,
} from './dashboard.models.js';
import { WEBHOOKS_DASHBOARD_SETTINGS, type DashboardSettings } from './dashboard.settings.js';
import { COUNTED_MINUTES, minuteOf, type MinuteCounts } from './dashboard.store.js';

const OUTCOMES: readonly WebhookOutcome[] = [
  'verified',
  'rejected',
  'handshake',
  'duplicate',
  'queued',
  'handled',
  'failed',
];
const LIST_LIMIT = 200;
const CHART_MINUTES = 60;

/** The dashboard's pages as data: what the JSON twins answer and the HTML shows. */
@Injectable()
export class DashboardPages {
  readonly csrf: DashboardCsrf;

  constructor(
    @Inject(WEBHOOKS_DASHBOARD_SETTINGS) readonly settings: DashboardSettings,
    private readonly recorder: DashboardRecorder,
    // Optional only so that, without WebhooksModule, start-up fails with the settings' message, not Nest's.
    @Optional() private readonly deliveries: WebhookDeliveries,
  ) {
    this.csrf = new DashboardCsrf(settings.csrfSecret, `/`);
  }

  async overview(now = Date.now()): Promise<DashboardOverview> {
    const current = minuteOf(now);
    const minutes = await this.recorder.store.counts(current - COUNTED_MINUTES + 1);
    const names = new Set(this.deliveries.sourceNames());
    for (const { counts } of minutes) for (const field of Object.keys(counts)) names.add(parseField(field)[0]);
    return {
      generatedAt: new Date(now).toISOString(),
      sources: [...names].map((source) => ({
        source,
        lastHour: sumCounts(minutes, source, current - 59),
        last24Hours: sumCounts(minutes, source, current - COUNTED_MINUTES + 1),
      })),
      timeline: timeline(minutes, current),
    };
  }

  async list(filters: DashboardDeliveryList['filters']): Promise<DashboardDeliveryList> {
    const records = await this.recorder.store.list({ ...filters, limit: LIST_LIMIT });
    const reasons = new Set<string>();
    for (const { counts } of await this.recorder.store.counts(minuteOf(Date.now()) - COUNTED_MINUTES + 1)) {
      for (const field of Object.keys(counts)) {
        const key = parseField(field)[1];
        if (key.startsWith('rejected:')) reasons.add(key.slice('rejected:'.length));
      }
    }
    for (const record of records) if (record.reason) reasons.add(record.reason);
    return {
      filters: withoutUndefined({ ...filters }),
      sources: this.deliveries.sourceNames(),
      reasons: [...reasons].sort(),
      deliveries: records.map(summary),
    };
  }

  async delivery(id: string): Promise<DashboardDeliveryDetail | undefined> {
    const record = await this.recorder.store.get(id);
    if (!record) return undefined;
    return withoutUndefined({
      ...summary(record),
      verified: record.verified,
      detail: record.detail,
      handlers: record.handlers,
      headers: record.headers,
      body: this.settings.showBodies ? record.body : undefined,
      bodyBytes: record.bodyBytes,
    });
  }

  async deadLetters(csrf: CsrfIssue): Promise<DashboardDeadLetters> {
    if (!this.deliveries.queued) return { queueMode: false, deadLetters: [], csrfToken: csrf.token };
    const failed = await this.deliveries.listFailed();
    return {
      queueMode: true,
      csrfToken: csrf.token,
      deadLetters: failed.map((entry) =>
        withoutUndefined({ ...entry, event: entry.event, failedAt: entry.failedAt.toISOString() }),
      ),
    };
  }

  async replay(target: { id: string } | { source: string | undefined }): Promise<DashboardReplay> {
    if (!this.deliveries.queued) return { results: [] };
    let results: ReplayResult[];
    if ('id' in target) {
      if (!DEAD_LETTER_ID.test(target.id)) return { results: [] };
      const entry = await this.deliveries.get(target.id);
      results = entry ? [await this.replayDeadLetter(entry.id)] : [];
    } else {
      results = await this.deliveries.replayFailed({ source: target.source });
    }
    return { results };
  }

  /** A replay; a dead letter that stopped being one meanwhile (replayed by someone else) is a result, not a 500. */
  private async replayDeadLetter(id: string): Promise<ReplayResult> {
    try {
      return await this.deliveries.replay(id);
    } catch (error) {
      if (error instanceof WebhookConfigurationError) return { id, status: 'failed', error: 'no longer a dead letter' };
      throw error;
    }
  }

  /** The outcomes a list can be filtered by. */
  get outcomes(): readonly WebhookOutcome[] {
    return OUTCOMES;
  }
}

/** The queue's job ids (`<source>-<hex digest>`): anything else is no dead letter, and must not reach Redis as a key. */
const DEAD_LETTER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,191}$/;

function summary(record: DashboardRecord): DashboardDeliverySummary {
  return withoutUndefined({
    id: record.id,
    attemptId: record.attemptId,
    at: new Date(record.at).toISOString(),
    source: record.source,
    tenant: record.tenant,
    event: record.event,
    deliveryId: record.deliveryId,
    outcome: record.outcome,
    reason: record.reason,
    status: record.status,
    via: record.via,
    verifyMs: rounded(record.verifyMs),
    validateMs: rounded(record.validateMs),
    handlersMs: rounded(record.handlersMs),
  });
}

function sumCounts(minutes: readonly MinuteCounts[], source: string, fromMinute: number): DashboardOutcomeCounts {
  const sums = { verified: 0, handshake: 0, queued: 0, handled: 0, duplicate: 0, rejected: 0, failed: 0 };
  const rejectedByReason: Record<string, number> = {};
  for (const { minute, counts } of minutes) {
    if (minute < fromMinute) continue;
    for (const [field, count] of Object.entries(counts)) {
      const [fieldSource, key] = parseField(field);
      if (fieldSource !== source) continue;
      if (key.startsWith('rejected:')) {
        sums.rejected += count;
        const reason = key.slice('rejected:'.length);
        rejectedByReason[reason] = (rejectedByReason[reason] ?? 0) + count;
      } else if (key in sums) {
        sums[key as keyof typeof sums] += count;
      }
    }
  }
  return { ...sums, rejectedByReason };
}

function timeline(minutes: readonly MinuteCounts[], current: number): DashboardTimelineBucket[] {
  const byMinute = new Map(minutes.map((entry) => [entry.minute, entry.counts]));
  const buckets: DashboardTimelineBucket[] = [];
  for (let minute = current - CHART_MINUTES + 1; minute <= current; minute += 1) {
    const sums = { handled: 0, queued: 0, duplicate: 0, handshake: 0, rejected: 0, failed: 0 };
    for (const [field, count] of Object.entries(byMinute.get(minute) ?? {})) {
      const key = parseField(field)[1];
      const outcome = key.startsWith('rejected:') ? 'rejected' : key;
      if (outcome in sums) sums[outcome as keyof typeof sums] += count;
    }
    buckets.push({ start: new Date(minute * 60_000).toISOString(), ...sums });
  }
  return buckets;
}

function parseField(field: string): [source: string, key: string] {
  const parsed = JSON.parse(field) as [string, string];
  return [String(parsed[0]), String(parsed[1])];
}

function rounded(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 100) / 100;
}
