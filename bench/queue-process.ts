// A process of the queue benchmark: the web process or a worker, with the same WebhooksModule configuration
// (queue mode on one Redis), as users deploy them:
//   BENCH_QUEUE_ROLE=web     NestFactory.create (Express, or Fastify with BENCH_PLATFORM=fastify; rawBody) with
//                            `queue.worker: false`: verifies, enqueues, answers 200; prints `{ "port": n }` once it
//                            listens
//   BENCH_QUEUE_ROLE=worker  NestFactory.createApplicationContext (no HTTP) with the queue's worker, like
//                            test/e2e/processes/queue-worker.ts; prints `{ "ready": true }` once its worker runs
// Other settings: REDIS_URL, QUEUE_NAME, BENCH_QUEUE_CONCURRENCY (deliveries one worker handles at once, default 5,
// the library's default). Exits on SIGTERM, after finishing what it is doing (enableShutdownHooks).
// Over IPC it answers `{ id, take: true }` with `{ id, report: QueueProcessReport }` and forgets what it reported:
// the web process the deliveries it queued (its `WebhookEvents.onOutcome` listener), a worker the handler runs. It
// answers once no attempt is in flight (every verified attempt has its outcome) and none began for 100 ms, so that
// requests still being answered when the load stopped are in the report. The web process also answers
// `{ id, latency: true }` with what happened inside it since the last such message (process-latency.ts).
import 'reflect-metadata';
import { Injectable, Module, type INestApplicationContext, type NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GuuruChatDto, WebhookEvents, WebhookHandler, WebhooksModule, type WebhookContext } from '../lib/index.js';
import { GUURU_SECRET } from './http-senders.js';
import { answerLatencyRequests, watchProcessLatency } from './process-latency.js';

/** The key that seals every job; the web and worker processes share it (at least 32 characters). */
export const JOB_SIGNING_KEY = 'bench-queue-job-signing-key-0f6c2e9a4b71';

export type QueueRole = 'web' | 'worker';

/** What a process did since its last report. */
export interface QueueProcessReport {
  readonly role: QueueRole;
  readonly pid: number;
  /**
   * Web: `[deliveryId, verified at, queued at]` (epoch ms) of every delivery it queued: when its signature was
   * proven (outcome `verified`), and when it was on the queue (outcome `queued`, after the job was added).
   */
  readonly queued: readonly (readonly [string, number, number])[];
  /**
   * Web: deliveries answered as already queued; worker: jobs whose delivery the store had as handled already, so
   * no handler ran (outcome `duplicate` in both).
   */
  readonly duplicates: number;
  /** Deliveries refused (outcome `rejected`). */
  readonly rejected: number;
  /** Worker: `[deliveryId, handler runs, epoch ms of the last run's end]`. */
  readonly runs: readonly (readonly [string, number, number])[];
  /** Worker: handler runs whose argument was not a validated `GuuruChatDto`. */
  readonly wrongArgument: number;
  /** Worker: attempts that failed (outcome `failed`). */
  readonly failed: number;
  /** User + system CPU time of the process so far, in µs. */
  readonly cpuMicros: number;
}

const role = process.env.BENCH_QUEUE_ROLE as QueueRole;
if (role !== 'web' && role !== 'worker') throw new Error('BENCH_QUEUE_ROLE must be web or worker.');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** What this process saw, until it is reported. */
const seen = {
  /** Attempts verified that have no outcome yet, and when they were verified (epoch ms). */
  inFlight: new Map<string, number>(),
  lastVerifiedAt: 0,
  queued: [] as [string, number, number][],
  duplicates: 0,
  rejected: 0,
  runs: new Map<string, [number, number]>(),
  wrongArgument: 0,
  failed: 0,
};

@Injectable()
class ChatHandlers {
  @WebhookHandler('guuru')
  onChat(chat: GuuruChatDto, context: WebhookContext): void {
    if (!(chat instanceof GuuruChatDto) || typeof chat.question !== 'string' || !chat.id) seen.wrongArgument += 1;
    const entry = seen.runs.get(context.deliveryId);
    if (entry) {
      entry[0] += 1;
      entry[1] = Date.now();
    } else {
      seen.runs.set(context.deliveryId, [1, Date.now()]);
    }
  }
}

@Module({
  imports: [
    WebhooksModule.forRoot({
      sources: { guuru: { secret: GUURU_SECRET } },
      processing: 'queue',
      queue: {
        jobSigningKey: JOB_SIGNING_KEY,
        connection: redisUrl,
        name: process.env.QUEUE_NAME,
        worker: role === 'worker',
        concurrency: Number(process.env.BENCH_QUEUE_CONCURRENCY ?? 5),
      },
      // The de-duplication store: the queue's Redis (queue mode's default, named here as users do).
      deliveries: { store: 'redis', connection: redisUrl },
    }),
  ],
  providers: [ChatHandlers],
})
class QueueBenchModule {}

function listen(app: INestApplicationContext): void {
  app.get(WebhookEvents).onOutcome((event) => {
    if (event.outcome === 'verified') {
      seen.inFlight.set(event.attemptId, event.atMs);
      seen.lastVerifiedAt = performance.now();
      return;
    }
    const verifiedAt = seen.inFlight.get(event.attemptId);
    seen.inFlight.delete(event.attemptId);
    if (event.outcome === 'queued') seen.queued.push([event.deliveryId!, verifiedAt ?? event.atMs, event.atMs]);
    else if (event.outcome === 'duplicate') seen.duplicates += 1;
    else if (event.outcome === 'rejected') seen.rejected += 1;
    else if (event.outcome === 'failed') seen.failed += 1;
  });
}

let app: INestApplicationContext;
if (role === 'web') {
  answerLatencyRequests(watchProcessLatency());
  const options: NestApplicationOptions = { rawBody: true, logger: ['error', 'warn'] };
  const web =
    process.env.BENCH_PLATFORM === 'fastify'
      ? await NestFactory.create<NestFastifyApplication>(QueueBenchModule, new FastifyAdapter(), options)
      : await NestFactory.create(QueueBenchModule, options);
  listen(web);
  await web.listen(0, '127.0.0.1');
  const { port } = (web.getHttpServer() as Server).address() as AddressInfo;
  app = web;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
} else {
  app = await NestFactory.createApplicationContext(QueueBenchModule, { logger: ['error', 'warn'] });
  listen(app);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
}

function report(): QueueProcessReport {
  const cpu = process.cpuUsage();
  const taken: QueueProcessReport = {
    role,
    pid: process.pid,
    queued: seen.queued,
    duplicates: seen.duplicates,
    rejected: seen.rejected,
    runs: [...seen.runs].map(([id, [count, at]]) => [id, count, at] as const),
    wrongArgument: seen.wrongArgument,
    failed: seen.failed,
    cpuMicros: cpu.user + cpu.system,
  };
  seen.queued = [];
  seen.duplicates = 0;
  seen.rejected = 0;
  seen.runs = new Map();
  seen.wrongArgument = 0;
  seen.failed = 0;
  return taken;
}

/** Resolves once no attempt is in flight and none was verified for `quietMs`. */
async function quiet(quietMs = 100): Promise<void> {
  while (seen.inFlight.size > 0 || performance.now() - seen.lastVerifiedAt < quietMs) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

process.on('message', (message: { id: number; take?: boolean }) => {
  if (message.take) void quiet().then(() => process.send?.({ id: message.id, report: report() }));
});
let closing = false;
process.on('SIGTERM', () => {
  if (closing) return;
  closing = true;
  // The worker finishes its jobs before the queue closes (WebhookProcessing.beforeApplicationShutdown).
  void app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
