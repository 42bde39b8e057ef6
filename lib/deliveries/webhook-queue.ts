import type { ConnectionOptions, Job, Queue, QueueEvents, Worker } from 'bullmq';
import { WebhookConfigurationError, WebhookError } from '../core/errors/index.js';
import { optionInvalid, packageMissing } from '../core/errors/webhook.messages.js';
import { DeadLetters } from './dead-letters.js';
import type { DeliveryJobData } from './delivery-job.js';
import {
  closeRedisClient,
  connectRedis,
  createRedisClient,
  isRedisCluster,
  REDIS_STARTUP_TIMEOUT_MS,
  toRedisOptions,
  unreachable,
  withTimeout,
  writeTogetherThisTurn,
  type RedisClient,
  type SingleRedisConnection,
} from './redis-connection.js';
import type { RedisConnection } from './redis-connection.options.js';

/** The queue's key prefix on a Redis Cluster unless `queue.prefix` says otherwise: a hash tag. */
export const CLUSTER_QUEUE_PREFIX = '{nestjs-signed-webhooks}';

/** How long BullMQ keeps finished jobs: `true` removes at once, `false` keeps all, a number keeps that many, `{ age, count }` keeps them `age` seconds (and at most `count`). */
export type JobRetention = boolean | number | { readonly age: number; readonly count?: number };

/** Queue-mode settings: `forRoot({ processing: 'queue', queue: { ... } })`. */
export interface WebhookQueueOptions {
  /** The Redis that holds the queue: one Redis, or a Redis Cluster (`{ cluster: [{ host, port }, ...] }`). */
  readonly connection: RedisConnection;
  /**
   * Prefix of the queue's Redis keys (BullMQ's `prefix`). On a Redis Cluster it must hold a
   * hash tag, so that every key of the queue lands in one slot, as BullMQ's scripts need: the
   * default there is `{nestjs-signed-webhooks}`. On one Redis the default is BullMQ's own
   * (`bull`). Web and worker processes must use the same; jobs under another prefix are not seen.
   */
  readonly prefix?: string;
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

/** The queue's jobs by state, as BullMQ counts them. */
export interface WebhookQueueCounts {
  /** Waiting for a worker. */
  readonly waiting: number;
  /** Running on a worker now. */
  readonly active: number;
  /** Waiting out the back-off before their next attempt. */
  readonly delayed: number;
  /** Failed every attempt: the dead letters. */
  readonly failed: number;
}

/** Processes one job; throws to retry, or a `permanent` error to fail at once. */
export type DeliveryProcessor = (data: DeliveryJobData, jobId: string) => Promise<unknown>;

type BullMQ = typeof import('bullmq');

/**
 * What BullMQ connects with. One Redis: settings, from which BullMQ opens connections of its
 * own. A Redis Cluster: `Cluster` clients of the library's own (BullMQ makes no cluster from
 * settings), `owned`, closed by {@link WebhookQueue.close}: the queue's, and a worker's
 * (`maxRetriesPerRequest: null`, as BullMQ requires of connections it blocks on), which the
 * Worker uses and which QueueEvents and the Worker's blocking connection duplicate.
 */
interface QueueConnections {
  readonly queue: ConnectionOptions;
  readonly worker: ConnectionOptions;
  readonly prefix: string | undefined;
  readonly owned: readonly RedisClient[];
}

/** BullMQ underneath queue mode: one queue, an optional worker, and its dead letters. */
export class WebhookQueue {
  private worker?: Worker;
  /** Listing, reading and replaying the jobs that failed every attempt. */
  readonly deadLetters: DeadLetters;

  private constructor(
    private readonly bullmq: BullMQ,
    private readonly queue: Queue,
    private readonly options: WebhookQueueOptions,
    private readonly connections: QueueConnections,
  ) {
    this.deadLetters = new DeadLetters(queue, () => this.openEvents());
  }

  /** Opens the queue, failing within seconds with a message that names Redis when it is unreachable. */
  static async open(options: WebhookQueueOptions): Promise<WebhookQueue> {
    const bullmq = await importBullmq();
    const connections = await openConnections(options);
    let queue: Queue;
    try {
      queue = new bullmq.Queue(queueName(options), { connection: connections.queue, ...prefixOption(connections) });
    } catch (error) {
      // BullMQ refuses some names (":"): the cluster's clients must not stay open behind the error.
      await closeAll(connections.owned);
      throw error;
    }
    queue.on('error', () => {
      // BullMQ reconnects by itself; an add that fails reports its own error.
    });
    try {
      await withTimeout(queue.waitUntilReady(), REDIS_STARTUP_TIMEOUT_MS);
    } catch (error) {
      await queue.close().catch(() => undefined);
      await closeAll(connections.owned);
      throw unreachable(options.connection, 'processing: "queue"', error);
    }
    return new WebhookQueue(bullmq, queue, options, connections);
  }

  /**
   * Adds a delivery. A repeat of a delivery whose job the queue still holds (waiting, active,
   * kept after completing, or a dead letter) adds nothing: `'already_queued'`.
   */
  async enqueue(jobId: string, data: DeliveryJobData): Promise<'queued' | 'already_queued'> {
    // BullMQ answers a repeat as it answers a new job, and stores nothing: whether the job was there tells. The
    // read is sent before the add, on the same connection (and, on a cluster, the same node: one hash slot), so
    // Redis runs it first; both leave in one write with those of the other deliveries handled in this turn of the
    // event loop, one round trip instead of two. It reads one field, not the job.
    // Copies sent at the same moment may both read nothing and both say queued: the job id still makes one job.
    const client = await this.queue.getBackend().client;
    // BullMQ types its client as an interface of its own; it is the ioredis client it opened.
    writeTogetherThisTurn(client as unknown as RedisClient);
    // Only the add decides the answer: a read that fails costs the duplicate flag, not a 503 for a queued job.
    const existing = client.hget(this.queue.toKey(jobId), 'timestamp').catch(() => null);
    const added = this.queue.add(data.source, data, {
      jobId,
      attempts: this.options.attempts ?? 5,
      backoff: { type: 'exponential', delay: this.options.backoffMs ?? 1000 },
      removeOnComplete: retention(this.options.removeOnComplete ?? { age: 24 * 3600, count: 1000 }),
      removeOnFail: retention(this.options.removeOnFail ?? false),
    });
    const [stored] = await Promise.all([existing, added]);
    return stored === null ? 'queued' : 'already_queued';
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
      {
        connection: this.connections.worker,
        ...prefixOption(this.connections),
        concurrency: this.options.concurrency ?? 5,
      },
    );
    this.worker.on('error', () => {
      // Connection errors: the worker reconnects by itself.
    });
    await withTimeout(this.worker.waitUntilReady(), REDIS_STARTUP_TIMEOUT_MS).catch((error: unknown) => {
      throw unreachable(this.options.connection, 'the webhook queue worker', error);
    });
  }

  /** How many jobs wait, run, wait out a retry's back-off, and have failed every attempt (the dead letters). */
  async jobCounts(): Promise<WebhookQueueCounts> {
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
    return {
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
    };
  }

  /** Stops the worker after its in-flight jobs finish, then closes the connections. */
  async close(): Promise<void> {
    await this.worker?.close();
    await this.deadLetters.close();
    await this.queue.close();
    await closeAll(this.connections.owned);
  }

  private async openEvents(): Promise<QueueEvents> {
    const events = new this.bullmq.QueueEvents(queueName(this.options), {
      connection: this.connections.worker,
      ...prefixOption(this.connections),
    });
    events.on('error', () => undefined);
    await events.waitUntilReady();
    return events;
  }
}

/** The connections of {@link QueueConnections}, the cluster's proven reachable (or failing with a message that names it). */
async function openConnections(options: WebhookQueueOptions): Promise<QueueConnections> {
  const { connection } = options;
  if (!isRedisCluster(connection)) {
    return {
      queue: bullConnection(connection, { enableOfflineQueue: false }),
      worker: bullConnection(connection),
      prefix: options.prefix,
      owned: [],
    };
  }
  const prefix = options.prefix ?? CLUSTER_QUEUE_PREFIX;
  if (!hasHashTag(`${prefix}:${queueName(options)}:`)) {
    throw new WebhookConfigurationError(
      optionInvalid(
        'queue.prefix',
        `a key prefix with a hash tag on a Redis Cluster, such as "${CLUSTER_QUEUE_PREFIX}" ` +
          "(every key of a queue must hash to one slot, as BullMQ's scripts need)",
      ),
    );
  }
  // No offline queue: while the cluster is down an add fails at once (503, the sender retries).
  const queue = await connectRedis(connection, 'processing: "queue"', { enableOfflineQueue: false });
  const worker = await createRedisClient(connection, 'the webhook queue worker', {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
  });
  return { queue, worker, prefix, owned: [queue, worker] };
}

/**
 * Whether keys that start with `fixed` hash by one non-empty tag inside it: the first `{`,
 * and the first `}` after it with something in between (Redis Cluster's rule).
 */
function hasHashTag(fixed: string): boolean {
  const open = fixed.indexOf('{');
  if (open < 0) return false;
  const close = fixed.indexOf('}', open + 1);
  return close > open + 1;
}

function prefixOption(connections: QueueConnections): { prefix?: string } {
  return connections.prefix === undefined ? {} : { prefix: connections.prefix };
}

async function closeAll(clients: readonly RedisClient[]): Promise<void> {
  await Promise.all(clients.map((client) => closeRedisClient(client)));
}

function queueName(options: WebhookQueueOptions): string {
  return options.name ?? 'nestjs-signed-webhooks';
}

function retention(value: JobRetention): boolean | number | { age: number; count?: number } {
  return typeof value === 'object' ? { ...value } : value;
}

function bullConnection(connection: SingleRedisConnection, extra: Record<string, unknown> = {}): ConnectionOptions {
  return { ...toRedisOptions(connection), ...extra } as ConnectionOptions;
}

async function importBullmq(): Promise<BullMQ> {
  try {
    return await import('bullmq');
  } catch {
    throw new WebhookConfigurationError(packageMissing('processing: "queue"', ['bullmq', 'ioredis']));
  }
}
