import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { App } from 'supertest/types.js';
import {
  WebhookDeliveries,
  WebhookEvents,
  WebhookSigner,
  WebhooksModule,
  type WebhookOutcomeEvent,
} from '../../lib/index.js';
import { billingInvoicePaid } from '../../sample/payloads.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { deliver } from './fixtures/deliver.js';
import { ALL_SECRET_STRINGS, SECRETS } from './fixtures/secrets.js';
import { startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

/** Waits until `check` holds, polling; fails after `timeoutMs`. */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * What is kept in Redis for queued deliveries, read back as someone with access to Redis
 * would: no credential is in it, and a job edited there never reaches a handler.
 */
describe('queued jobs in Redis', () => {
  let redis: TestRedis;
  let client: Redis;
  let queueNumber = 0;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    redis = await startTestRedis();
    client = new Redis(redis.url);
  });

  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.app.close();
  });

  /** A web process (no worker) and, when asked, a worker process on the same queue. */
  async function start(queueName: string, worker: boolean): Promise<TestApp> {
    const app = await startTestApp(
      WebhooksModule.forRoot({
        ...testWebhooksOptions(),
        processing: 'queue',
        queue: {
          jobSigningKey: SECRETS.jobSigning,
          connection: redis.url,
          name: queueName,
          worker,
          attempts: 2,
          backoffMs: 20,
        },
      }),
    );
    apps.push(app);
    return app;
  }

  async function storedJob(queueName: string, jobId: string): Promise<Record<string, unknown>> {
    const data = await client.hget(`bull:${queueName}:${jobId}`, 'data');
    expect(data).not.toBeNull();
    return JSON.parse(data!) as Record<string, unknown>;
  }

  async function onlyJobId(queueName: string): Promise<string> {
    const ids = await client.lrange(`bull:${queueName}:wait`, 0, -1);
    expect(ids).toHaveLength(1);
    return ids[0]!;
  }

  it('keeps only the content type and the sender’s own headers: no credential, no signature', async () => {
    queueNumber += 1;
    const queueName = `jobs-${queueNumber}`;
    const web = await start(queueName, false);
    const signed = web.app.get(WebhookSigner).sign('billing', billingInvoicePaid, { id: 'msg_headers' });
    await deliver(web.app.getHttpServer() as App, '/webhooks/billing', {
      headers: {
        ...signed.headers,
        authorization: 'Bearer user-credential-Xy12',
        cookie: 'session=user-session-Pq34',
        'x-api-key': 'user-api-key-Lm56',
        'x-internal-token': 'user-token-Ab78',
      },
      body: signed.body,
    }).expect(200);
    const job = await storedJob(queueName, await onlyJobId(queueName));
    expect(Object.keys(job.headers as object).sort()).toEqual(['content-type', 'webhook-id', 'webhook-timestamp']);
    const stored = JSON.stringify(await client.hgetall(`bull:${queueName}:${await onlyJobId(queueName)}`));
    for (const secret of [
      ...ALL_SECRET_STRINGS,
      'user-credential-Xy12',
      'user-session-Pq34',
      'user-api-key-Lm56',
      'user-token-Ab78',
      signed.headers['webhook-signature']!,
    ]) {
      expect(stored).not.toContain(secret);
    }
  });

  it('refuses a job edited in Redis: a job_tampered dead letter that never reaches a handler, also when replayed', async () => {
    queueNumber += 1;
    const queueName = `jobs-${queueNumber}`;
    const web = await start(queueName, false);
    const signed = web.app.get(WebhookSigner).sign('billing', billingInvoicePaid, { id: 'msg_tamper' });
    await deliver(web.app.getHttpServer() as App, '/webhooks/billing', signed).expect(200);
    const jobId = await onlyJobId(queueName);
    const job = await storedJob(queueName, jobId);
    // An attacker with Redis access rewrites the verified body and the delivery id.
    const forged = Buffer.from(JSON.stringify({ ...billingInvoicePaid, data: { amount: 1 } })).toString('base64');
    await client.hset(
      `bull:${queueName}:${jobId}`,
      'data',
      JSON.stringify({ ...job, body: forged, deliveryId: 'msg_forged' }),
    );

    const worker = await start(queueName, true);
    const events: WebhookOutcomeEvent[] = [];
    worker.app.get(WebhookEvents).onOutcome((event) => events.push(event));
    const deliveries = worker.app.get(WebhookDeliveries);
    await eventually(async () => (await deliveries.listFailed()).length === 1, 10_000);
    const [deadLetter] = await deliveries.listFailed();
    expect(deadLetter).toMatchObject({ reason: 'job_tampered', attempts: 1 });
    expect(worker.calls.calls).toHaveLength(0);
    expect(events.map((event) => [event.outcome, event.reason, event.via])).toEqual([
      ['failed', 'job_tampered', 'queue'],
    ]);

    const replay = await deliveries.replay(deadLetter!.id, { timeoutMs: 10_000 });
    expect(replay.status).toBe('failed');
    expect(replay.error).toContain('job_tampered');
    expect(worker.calls.calls).toHaveLength(0);
    expect((await deliveries.listFailed())[0]).toMatchObject({ reason: 'job_tampered' });
  });

  it('handles an untouched job sealed by another process with the same key', async () => {
    queueNumber += 1;
    const queueName = `jobs-${queueNumber}`;
    const web = await start(queueName, false);
    const signed = web.app.get(WebhookSigner).sign('billing', billingInvoicePaid, { id: 'msg_clean' });
    await deliver(web.app.getHttpServer() as App, '/webhooks/billing', signed).expect(200);
    const worker = await start(queueName, true);
    await eventually(() => worker.calls.of('billing.invoice.paid').length === 1, 10_000);
    expect(worker.calls.of('billing.invoice.paid')[0]!.context.deliveryId).toBe('msg_clean');
  });
});
