import type { Job, QueueEvents } from 'bullmq';
import { WEBHOOK_REASON_STATUS, WebhookConfigurationError, type WebhookRejectionReason } from '../core/errors/index.js';
import { noFailedDelivery } from '../core/errors/webhook.messages.js';
import type { DeliveryJobData } from './delivery-job.js';

/** How often a replay looks at its job, besides listening for its outcome. */
const REPLAY_POLL_MS = 250;

/** A delivery that failed all its attempts. */
export interface FailedDelivery {
  /** The entry's id, for `get`, `replay`. */
  readonly id: string;
  readonly source: string;
  readonly deliveryId: string;
  readonly event: string | undefined;
  /** Why the last attempt failed (`handler_failed`, `job_tampered`, `invalid_payload`, …), when the library knew. */
  readonly reason: WebhookRejectionReason | undefined;
  /** The last attempt's error. */
  readonly error: string;
  readonly attempts: number;
  readonly failedAt: Date;
}

/**
 * BullMQ's `Queue` as dead letters use it, and its `QueueEvents`. Declared here rather than
 * imported, so that the published declarations name no bullmq type: bullmq is an optional peer,
 * and an application without it must still compile against the package (scripts/test-package.sh).
 */
export interface DeadLetterQueue {
  getFailed(): Promise<unknown[]>;
  getJob(id: string): Promise<unknown>;
}

/** See {@link DeadLetterQueue}: BullMQ's `QueueEvents`, as far as its owner needs to know. */
export interface DeadLetterEvents {
  close(): Promise<void>;
}

/**
 * The dead letters of a {@link WebhookQueue}: the BullMQ jobs that failed every attempt. Lists
 * and reads them, and replays one through the workers. Uses the queue's BullMQ `Queue`, and a
 * `QueueEvents` opened on the first replay (by `openEvents`) and closed by {@link close}.
 */
export class DeadLetters {
  private events?: QueueEvents;

  constructor(
    private readonly queue: DeadLetterQueue,
    private readonly openEvents: () => Promise<DeadLetterEvents>,
  ) {}

  /** The dead letters, newest first, optionally of one source. */
  async list(source?: string): Promise<FailedDelivery[]> {
    const jobs = await this.queue.getFailed();
    return jobs
      .map((job) => toFailedDelivery(job as Job))
      .filter((entry) => source === undefined || entry.source === source)
      .sort((a, b) => b.failedAt.getTime() - a.failedAt.getTime());
  }

  /** A dead letter by id, `undefined` when there is none (or it is not failed). */
  async get(id: string): Promise<FailedDelivery | undefined> {
    const job = await this.failedJob(id);
    return job && toFailedDelivery(job);
  }

  /**
   * Sends a dead letter through the workers again, with fresh attempts, and waits for
   * the outcome: `undefined` when handled, the error when it failed again.
   */
  async replay(id: string, timeoutMs: number): Promise<string | undefined> {
    const job = await this.failedJob(id);
    if (!job) throw new WebhookConfigurationError(noFailedDelivery(id));
    this.events ??= (await this.openEvents()) as QueueEvents;
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return await this.outcome(job, this.events, timeoutMs);
  }

  /** Closes the `QueueEvents` a replay opened, if any. */
  async close(): Promise<void> {
    await this.events?.close();
  }

  private async failedJob(id: string): Promise<Job | undefined> {
    const job = (await this.queue.getJob(id)) as Job | undefined;
    return job && (await job.getState()) === 'failed' ? job : undefined;
  }

  /**
   * How a replayed job ends: `undefined` when handled, its error when it failed again. Told by
   * QueueEvents, and found by looking at the job too: QueueEvents starts reading a moment after
   * it reports ready (longer on a cluster), and an outcome in that moment would never be told.
   */
  private async outcome(job: Job, events: QueueEvents, timeoutMs: number): Promise<string | undefined> {
    let settled = false;
    const told = job.waitUntilFinished(events, timeoutMs).then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    const seen = new Promise<string | undefined>((resolve) => {
      const look = async (): Promise<void> => {
        if (settled) return;
        const state = await job.getState().catch(() => 'unknown');
        if (state === 'completed') return resolve(undefined);
        if (state === 'failed') {
          const failed = (await this.queue.getJob(job.id ?? '').catch(() => undefined)) as Job | undefined;
          return resolve(failed?.failedReason ?? '');
        }
        setTimeout(() => void look(), REPLAY_POLL_MS).unref();
      };
      setTimeout(() => void look(), REPLAY_POLL_MS).unref();
    });
    try {
      return await Promise.race([told, seen]);
    } finally {
      settled = true;
    }
  }
}

function toFailedDelivery(job: Job): FailedDelivery {
  // Read as untrusted: anyone who can write to Redis can put anything here.
  const data = (typeof job.data === 'object' && job.data !== null ? job.data : {}) as Partial<DeliveryJobData>;
  const failedReason = job.failedReason ?? '';
  const colon = failedReason.indexOf(': ');
  const reason = colon > 0 ? failedReason.slice(0, colon) : '';
  const known = Object.prototype.hasOwnProperty.call(WEBHOOK_REASON_STATUS, reason);
  return {
    id: job.id ?? '',
    source: String(data.source ?? ''),
    deliveryId: String(data.deliveryId ?? ''),
    event: typeof data.event === 'string' ? data.event : undefined,
    reason: known ? (reason as WebhookRejectionReason) : undefined,
    error: known ? failedReason.slice(colon + 2) : failedReason,
    attempts: job.attemptsMade,
    failedAt: new Date(job.finishedOn ?? job.processedOn ?? job.timestamp),
  };
}
