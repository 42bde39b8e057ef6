import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import type { INestApplication } from '@nestjs/common';
import type { App } from 'supertest/types.js';
import {
  WebhookDeliveries,
  WebhookEvents,
  WebhookSigner,
  WebhooksModule,
  type WebhookOutcomeEvent,
  type WebhooksModuleOptions,
} from '../../lib/index.js';
import { SECRETS } from './fixtures/secrets.js';
import { deliver } from './fixtures/deliver.js';
import { startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';
import { eventually, waitForQueueIdle } from '../support/queue-idle.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';

/** Queue mode's job lifecycle: retention, jobs whose source is gone, and deliveries during shutdown. */
describe('queue lifecycle (BullMQ on a real Redis, Express)', () => {
  let redis: TestRedis;
  let queueNumber = 0;
  const apps: TestApp[] = [];
  const queues: Queue[] = [];

  beforeAll(async () => {
    redis = await startTestRedis();
  });

  afterAll(async () => {
    await redis.stop();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.app.close().catch(() => undefined);
    for (const queue of queues.splice(0)) await queue.close();
  });

  function nextQueueName(): string {
    queueNumber += 1;
    return `lifecycle-${queueNumber}`;
  }

  /** The same queue, read as BullMQ sees it (same connection, default prefix, same name). */
  function bullQueue(name: string): Queue {
    const queue = new Queue(name, { connection: { url: redis.url } });
    queue.on('error', () => undefined);
    queues.push(queue);
    return queue;
  }

  async function start(
    name: string,
    queue: Partial<NonNullable<WebhooksModuleOptions['queue']>> = {},
    overrides: Partial<WebhooksModuleOptions> = {},
    handlers: 'all' | 'guuru-only' = 'all',
  ): Promise<TestApp> {
    const app = await startTestApp(
      WebhooksModule.forRoot({
        ...testWebhooksOptions(),
        processing: 'queue',
        queue: { jobSigningKey: SECRETS.jobSigning, connection: redis.url, name, attempts: 1, backoffMs: 20, ...queue },
        ...overrides,
      }),
      { handlers },
    );
    apps.push(app);
    return app;
  }

  async function sendGuuru(app: INestApplication, question: string): Promise<void> {
    const signed = app.get(WebhookSigner).sign('guuru', { question, rating: 5 });
    await deliver(app.getHttpServer() as App, '/webhooks/guuru', signed).expect(200);
  }

  describe('removeOnComplete', () => {
    it.each([
      ['{ count: 1 }', { count: 1, age: 3600 }, 1],
      ['true', true, 0],
    ] as const)('with %s keeps at most what was asked of two handled deliveries', async (_label, retention, kept) => {
      const name = nextQueueName();
      const app = await start(name, { removeOnComplete: retention });
      await sendGuuru(app.app, `kept-${name}-1`);
      await sendGuuru(app.app, `kept-${name}-2`);
      await eventually(() => app.calls.of('guuru').length === 2, 10_000, 'both deliveries handled');
      await waitForQueueIdle(redis.url, name);
      const counts = await bullQueue(name).getJobCounts('completed');
      expect(counts.completed).toBe(kept);
    });

    it('by default keeps both completed jobs', async () => {
      const name = nextQueueName();
      const app = await start(name);
      await sendGuuru(app.app, `default-${name}-1`);
      await sendGuuru(app.app, `default-${name}-2`);
      await eventually(() => app.calls.of('guuru').length === 2, 10_000, 'both deliveries handled');
      await waitForQueueIdle(redis.url, name);
      expect((await bullQueue(name).getJobCounts('completed')).completed).toBe(2);
    });
  });

  describe('removeOnFail', () => {
    async function failOnce(removeOnFail: boolean | undefined): Promise<{ app: TestApp; name: string }> {
      const name = nextQueueName();
      const app = await start(name, removeOnFail === undefined ? {} : { removeOnFail });
      const outcomes: WebhookOutcomeEvent[] = [];
      app.app.get(WebhookEvents).onOutcome((event) => outcomes.push(event));
      const signed = app.app.get(WebhookSigner).sign('broken', { question: `fails-${name}` });
      await deliver(app.app.getHttpServer() as App, '/webhooks/broken', signed).expect(200);
      await eventually(() => app.handlers.brokenAttempts === 1, 10_000, 'the broken handler ran');
      await waitForQueueIdle(redis.url, name);
      // The failure was seen (so "no dead letter" below is not "nothing ran").
      await eventually(() => outcomes.some((event) => event.via === 'queue'), 10_000, 'the failure recorded');
      expect(app.handlers.brokenAttempts).toBe(1);
      return { app, name };
    }

    it('true keeps no dead letter', async () => {
      const { app, name } = await failOnce(true);
      expect(await app.app.get(WebhookDeliveries).listFailed()).toEqual([]);
      expect((await bullQueue(name).getJobCounts('failed')).failed).toBe(0);
    });

    it('by default keeps the dead letter', async () => {
      const { app, name } = await failOnce(undefined);
      const failed = await app.app.get(WebhookDeliveries).listFailed();
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ source: 'broken' });
      expect((await bullQueue(name).getJobCounts('failed')).failed).toBe(1);
    });
  });

  it('a job whose source is no longer configured becomes an unknown_source dead letter and reaches no handler', async () => {
    const name = nextQueueName();
    // App A: every source (billing among them), no worker: the job waits in Redis.
    const web = await start(name, { worker: false, attempts: 3 });
    const signed = web.app.get(WebhookSigner).sign('billing', { type: 'invoice.paid', data: {} }, { id: 'msg_gone' });
    await deliver(web.app.getHttpServer() as App, '/webhooks/billing', signed).expect(200);
    expect((await bullQueue(name).getJobCounts('waiting')).waiting).toBe(1);
    await web.app.close();
    apps.splice(apps.indexOf(web), 1);

    // App B: same queue, only `guuru` configured, worker on.
    const worker = await start(name, { attempts: 3 }, { sources: { guuru: { secret: SECRETS.guuru } } }, 'guuru-only');
    const outcomes: WebhookOutcomeEvent[] = [];
    worker.app.get(WebhookEvents).onOutcome((event) => outcomes.push(event));
    const deliveries = worker.app.get(WebhookDeliveries);
    await eventually(async () => (await deliveries.listFailed()).length === 1, 10_000, 'a dead letter');
    await waitForQueueIdle(redis.url, name);
    const [deadLetter] = await deliveries.listFailed();
    // A routing error is permanent: one attempt, not three.
    expect(deadLetter).toMatchObject({ source: 'billing', reason: 'unknown_source', attempts: 1 });
    expect(deadLetter!.error).toContain('billing');
    expect(worker.calls.calls).toHaveLength(0);
    expect(outcomes.map((event) => [event.outcome, event.reason, event.via])).toEqual([
      ['failed', 'unknown_source', 'queue'],
    ]);
  });

  it('while the app closes, a delivery is queued (200) or refused with 503 delivery_queue_unavailable; no 200 is lost', async () => {
    const name = nextQueueName();
    const app = await start(name, { concurrency: 1 });
    app.handlers.slowMs = 1500;
    await app.app.listen(0, '127.0.0.1');
    const url = await app.app.getUrl();
    const signer = app.app.get(WebhookSigner);
    const slow = signer.sign('slow', { question: `slow-${name}` });
    const first = await fetch(`${url}/webhooks/slow`, { method: 'POST', headers: slow.headers, body: slow.body });
    expect(first.status).toBe(200);
    const queue = bullQueue(name);
    await eventually(async () => (await queue.getJobCounts('active')).active === 1, 10_000, 'slow job active');

    // Shutdown starts: the worker waits for the slow job, then the queue closes, then the server.
    let closed = false;
    const closing = app.app.close().then(() => {
      closed = true;
    });
    apps.splice(apps.indexOf(app), 1);
    const answers: { status: number | 'refused'; body: Record<string, unknown> }[] = [];
    let n = 0;
    while (!closed) {
      n += 1;
      const signed = signer.sign('guuru', { question: `during-close-${name}-${n}`, rating: 1 });
      try {
        const response = await fetch(`${url}/webhooks/guuru`, {
          method: 'POST',
          headers: { ...signed.headers, connection: 'close' },
          body: signed.body,
        });
        answers.push({ status: response.status, body: (await response.json()) as Record<string, unknown> });
      } catch {
        answers.push({ status: 'refused', body: {} });
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await closing;

    // Observed: Nest runs the shutdown hooks (worker, then queue) before it stops the HTTP server,
    // and every delivery sent meanwhile was queued (200); a 503 needs one to land in the short gap
    // after the queue closed, so it is allowed, not required.
    const accepted = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status !== 200 && answer.status !== 'refused');
    expect(accepted.length).toBeGreaterThan(0);
    for (const answer of refused) {
      expect(answer).toMatchObject({
        status: 503,
        body: expect.objectContaining({ reason: 'delivery_queue_unavailable' }),
      });
    }
    // Every delivery answered 200 is in Redis, waiting for the next worker.
    const jobs = await queue.getJobs(['waiting', 'active', 'completed', 'delayed', 'failed']);
    const queuedIds = new Set(jobs.map((job) => (job.data as { deliveryId: string }).deliveryId));
    for (const answer of accepted) expect(queuedIds.has(answer.body.deliveryId as string)).toBe(true);
    // A job without a 200 is a delivery whose answer the closing server cut off (the client saw a network
    // error): the sender retries it, and the retry is the same job. None other may be there.
    const cutOff = answers.filter((answer) => answer.status === 'refused').length;
    const waiting = (await queue.getJobCounts('waiting')).waiting;
    expect(waiting).toBeGreaterThanOrEqual(accepted.length);
    expect(waiting).toBeLessThanOrEqual(accepted.length + cutOff);
    // The slow job finished before the worker stopped.
    expect(app.calls.of('slow')).toHaveLength(1);
  });
});
