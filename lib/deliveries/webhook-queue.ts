import type { ConnectionOptions, Job, Queue, QueueEvents, Worker } from 'bullmq';
import {
  WEBHOOK_REASON_STATUS,
  WebhookConfigurationError,
  WebhookError,
  type WebhookRejectionReason,
} from '../core/errors/index.js';
import { noFailedDelivery, packageMissing } from '../core/errors/webhook.messages.js';
import type { DeliveryJobData } from './delivery-job.js';
import { REDIS_STARTUP_TIMEOUT_MS, toRedisOptions, unreachable, withTimeout } from './redis-connection.js';
import type { RedisConnection } from './redis-connection.options.js';

/** How long BullMQ keeps finished jobs: `true` removes at once, `false` keeps all, a number keeps that many, `{ age, count }` keeps them `age` seconds (and at most `count`). */
export type JobRetention = boolean | number | { readonly age: number; readonly count?: number };

/** Queue-mode settings: `forRoot({ processing: 'queue', queue: { ... } })`. */
export interface WebhookQueueOptions {
  /** The Redis that holds the queue. */
  readonly connection: RedisConnection;
  /**
   * The key that seals every job (HMAC-SHA256 over its content), so a job edited in Redis
   * never reaches a handler: it becomes a dead letter with reason `job_tampered`. At least 32
   * characters; the web and worker processes must share it. A list while rotating: jobs are
   * sealed with the first and accepted under any. Keep it out of Redis.
   */
  readonly jobSigningKey: string | readonly string[];
  /** The BullMQ queue name (default `nestjs-signed-webhooks`). */
  readonly name?: string;
  /** Attempts per delivery before it becomes a dead letter (default 5). */
  readonly attempts?: number;
  /** First delay of the exponential back-off between attempts, in ms (default 1000). */
  readonly backoffMs?: number;
  /** Deliveries one worker handles at once (default 5). */
  readonly concurrency?: number;
  /** Run a worker in this process (default `true`); `false` for a web process whose workers run elsewhere. */
  readonly worker?: boolean;
  /** Retention of completed jobs (default: one day, at most 1000). */
  readonly removeOnComplete?: JobRetention;
  /** Retention of failed jobs, the dead letters (default: kept until replayed or removed). */
  readonly removeOnFail?: JobRetention;
}

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

/** Processes one job; throws to retry, or a `permanent` error to fail at once. */
export type DeliveryProcessor = (data: DeliveryJobData, jobId: string) => Promise<unknown>;

type BullMQ = typeof import('bullmq');

/** BullMQ underneath queue mode: one queue, an optional worker, and the dead-letter queries. */
export class WebhookQueue {
  private worker?: Worker;
  private events?: QueueEvents;

  private constructor(
    private readonly bullmq: BullMQ,
    private readonly queue: Queue,
    private readonly options: WebhookQueueOptions,
  ) {}

  /** Opens the queue, failing within seconds with a message that names Redis when it is unreachable. */
  static async open(options: WebhookQueueOptions): Promise<WebhookQueue> {
    const bullmq = await importBullmq();
    const queue = new bullmq.Queue(queueName(options), {
      connection: bullConnection(options.connection, { enableOfflineQueue: false }),
    });
    queue.on('error', () => {
      // BullMQ reconnects by itself; an add that fails reports its own error.
    });
    try {
      await withTimeout(queue.waitUntilReady(), REDIS_STARTUP_TIMEOUT_MS);
    } catch (error) {
      await queue.close().catch(() => undefined);
      throw unreachable(options.connection, 'processing: "queue"', error);
    }
    return new WebhookQueue(bullmq, queue, options);
  }

  /**
   * Adds a delivery. A repeat of a delivery whose job the queue still holds (waiting, active,
   * kept after completing, or a dead letter) adds nothing: `'already_queued'`.
   */
  async enqueue(jobId: string, data: DeliveryJobData): Promise<'queued' | 'already_queued'> {
    const job = await this.queue.add(data.source, data, {
      jobId,
      attempts: this.options.attempts ?? 5,
      backoff: { type: 'exponential', delay: this.options.backoffMs ?? 1000 },
      removeOnComplete: retention(this.options.removeOnComplete ?? { age: 24 * 3600, count: 1000 }),
      removeOnFail: retention(this.options.removeOnFail ?? false),
    });
    // BullMQ answers a repeat with the new Job object but stores nothing: the stored job's creation time tells.
    const stored = await this.queue.getJob(jobId);
    return stored !== undefined && stored.timestamp !== job.timestamp ? 'already_queued' : 'queued';
  }

  /** Starts this process's worker. Errors for which `isPermanent` is true fail the job without retries. */
  async startWorker(processor: DeliveryProcessor, isPermanent: (error: unknown) => boolean): Promise<void> {
    const { Worker, UnrecoverableError } = this.bullmq;
    this.worker = new Worker(
      queueName(this.options),
      async (job: Job) => {
        try {
          return await processor(job.data as DeliveryJobData, job.id ?? '');
        } catch (error) {
          // BullMQ keeps the message as the dead letter's failedReason: it leads with the reason code.
          const message = error instanceof WebhookError ? `${error.reason}: ${error.message}` : String(error);
          if (isPermanent(error)) throw new UnrecoverableError(message);
          if (error instanceof WebhookError) error.message = message;
          throw error;
        }
      },
      { connection: bullConnection(this.options.connection), concurrency: this.options.concurrency ?? 5 },
    );
    this.worker.on('error', () => {
      // Connection errors: the worker reconnects by itself.
    });
    await withTimeout(this.worker.waitUntilReady(), REDIS_STARTUP_TIMEOUT_MS).catch((error: unknown) => {
      throw unreachable(this.options.connection, 'the webhook queue worker', error);
    });
  }

  /** The dead letters, newest first, optionally of one source. */
  async failed(source?: string): Promise<FailedDelivery[]> {
    const jobs = await this.queue.getFailed();
    return jobs
      .map((job) => toFailedDelivery(job as Job))
      .filter((entry) => source === undefined || entry.source === source)
      .sort((a, b) => b.failedAt.getTime() - a.failedAt.getTime());
  }

  /** A dead letter by id, `undefined` when there is none (or it is not failed). */
  async getFailed(id: string): Promise<FailedDelivery | undefined> {
    const job = (await this.queue.getJob(id)) as Job | undefined;
    if (!job || (await job.getState()) !== 'failed') return undefined;
    return toFailedDelivery(job);
  }

  /**
   * Sends a dead letter through the workers again, with fresh attempts, and waits for
   * the outcome: `undefined` when handled, the error when it failed again.
   */
  async replay(id: string, timeoutMs: number): Promise<string | undefined> {
    const job = (await this.queue.getJob(id)) as Job | undefined;
    if (!job || (await job.getState()) !== 'failed') {
      throw new WebhookConfigurationError(noFailedDelivery(id));
    }
    this.events ??= await this.openEvents();
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    try {
      await job.waitUntilFinished(this.events, timeoutMs);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** Stops the worker after its in-flight jobs finish, then closes the connections. */
  async close(): Promise<void> {
    await this.worker?.close();
    await this.events?.close();
    await this.queue.close();
  }

  private async openEvents(): Promise<QueueEvents> {
    const events = new this.bullmq.QueueEvents(queueName(this.options), {
      connection: bullConnection(this.options.connection),
    });
    events.on('error', () => undefined);
    await events.waitUntilReady();
    return events;
  }
}

function queueName(options: WebhookQueueOptions): string {
  return options.name ?? 'nestjs-signed-webhooks';
}

function retention(value: JobRetention): boolean | number | { age: number; count?: number } {
  return typeof value === 'object' ? { ...value } : value;
}

function bullConnection(connection: RedisConnection, extra: Record<string, unknown> = {}): ConnectionOptions {
  return { ...toRedisOptions(connection), ...extra } as ConnectionOptions;
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

async function importBullmq(): Promise<BullMQ> {
  try {
    return await import('bullmq');
  } catch {
    throw new WebhookConfigurationError(packageMissing('processing: "queue"', ['bullmq', 'ioredis']));
  }
}
