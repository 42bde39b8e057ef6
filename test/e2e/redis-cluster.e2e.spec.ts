import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import type { App } from 'supertest/types.js';
import { WebhookDeliveries, WebhookSigner, WebhooksModule, type WebhooksModuleOptions } from '../../lib/index.js';
import { clusterInfo, startTestRedisCluster, type TestRedisCluster } from '../support/redis-cluster.js';
import { deliver } from './fixtures/deliver.js';
import { SECRETS } from './fixtures/secrets.js';
import { startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

/** The queue's key prefix on a cluster when `queue.prefix` is not set. */
const DEFAULT_CLUSTER_PREFIX = '{nestjs-signed-webhooks}';
const DELIVERY_KEYS = 'nestjs-signed-webhooks:delivery:';

let cluster: TestRedisCluster;
/** The test's own client of the cluster, to look at keys and queues. */
let inspector: Cluster;
let queueNumber = 0;

/** Waits until `check` holds, polling; fails after `timeoutMs`. */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the queue has no job active, waiting or delayed: nothing more can run. */
async function queueIdle(queue: Queue): Promise<void> {
  await eventually(async () => {
    const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized', 'waiting-children');
    return Object.values(counts).every((count) => count === 0);
  }, 20_000);
}

/** The delivery-store keys each master holds, of those named. */
async function deliveryKeysPerMaster(keys: ReadonlySet<string>): Promise<number[]> {
  const perMaster = await Promise.all(inspector.nodes('master').map((node) => node.keys(`${DELIVERY_KEYS}*`)));
  return perMaster.map((found) => found.filter((key) => keys.has(key)).length);
}

beforeAll(async () => {
  cluster = await startTestRedisCluster();
  inspector = new Cluster([...cluster.nodes]);
  await new Promise<void>((resolve, reject) => {
    inspector.once('ready', () => resolve());
    inspector.once('error', reject);
  });
}, 60_000);

afterAll(async () => {
  await inspector?.quit();
  await cluster?.stop();
});

describe('Redis Cluster: de-duplication across two app instances', () => {
  let first: TestApp;
  let second: TestApp;
  /** The application's own Cluster, given to the second instance. */
  let ownCluster: Cluster;

  beforeAll(async () => {
    ownCluster = new Cluster([...cluster.nodes]);
    first = await startTestApp(
      WebhooksModule.forRoot({
        ...testWebhooksOptions(),
        deliveries: { store: 'redis', connection: cluster.connection },
      }),
      { platform: 'express' },
    );
    second = await startTestApp(
      WebhooksModule.forRoot({ ...testWebhooksOptions(), deliveries: { store: 'redis', connection: ownCluster } }),
      { platform: 'fastify' },
    );
  });

  afterAll(async () => {
    await first?.app.close();
    await second?.app.close();
    await ownCluster?.quit();
  });

  it('runs the handler once for 10 copies of a delivery spread over both instances', async () => {
    first.handlers.slowMs = 300;
    second.handlers.slowMs = 300;
    const signed = first.app.get(WebhookSigner).sign('slow', { question: 'shared over a cluster' });
    const servers = [first.app.getHttpServer() as App, second.app.getHttpServer() as App];
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, index) => deliver(servers[index % 2]!, '/webhooks/slow', signed)),
    );
    expect(responses.filter((r) => r.status !== 200 && r.status !== 409)).toEqual([]);
    expect(responses.filter((r) => r.status === 200 && r.body.handled === 1)).toHaveLength(1);
    expect(first.calls.of('slow').length + second.calls.of('slow').length).toBe(1);
    for (const server of servers) {
      const repeat = await deliver(server, '/webhooks/slow', signed).expect(200);
      expect(repeat.body).toMatchObject({ duplicate: true, handled: 0 });
    }
    expect(first.calls.of('slow').length + second.calls.of('slow').length).toBe(1);
  });

  it('handles each of 60 distinct deliveries once, sent to both at once, their keys spread over all three masters', async () => {
    const signer = first.app.get(WebhookSigner);
    const servers = [first.app.getHttpServer() as App, second.app.getHttpServer() as App];
    const deliveries = Array.from({ length: 60 }, (_, index) => signer.sign('guuru', { question: `spread ${index}` }));
    const responses = await Promise.all(
      deliveries.flatMap((signed) => servers.map((server) => deliver(server, '/webhooks/guuru', signed))),
    );
    expect(responses.filter((r) => r.status !== 200 && r.status !== 409)).toEqual([]);

    const ids = new Set(responses.map((r) => String(r.body.deliveryId ?? '')).filter((id) => id !== ''));
    expect(ids.size).toBe(60);
    const runs = [...first.calls.of('guuru'), ...second.calls.of('guuru')].map((call) => call.context.deliveryId);
    expect(runs).toHaveLength(60);
    expect(new Set(runs)).toEqual(ids);

    const perMaster = await deliveryKeysPerMaster(new Set([...ids].map((id) => `${DELIVERY_KEYS}{guuru:${id}}`)));
    expect(perMaster).toHaveLength(3);
    expect(perMaster.reduce((sum, count) => sum + count, 0)).toBe(60);
    for (const count of perMaster) expect(count).toBeGreaterThan(0);
  });

  it("leaves the application's own Cluster open and untouched", async () => {
    expect(ownCluster.status).toBe('ready');
    expect(await ownCluster.ping()).toBe('PONG');
  });
});

describe('Redis Cluster: queue mode', () => {
  const apps: TestApp[] = [];
  /** The test's own view of the current pair's queue. */
  let queue: Queue;
  const queues: Queue[] = [];

  /** The web instance's own Cluster: the library duplicates it for the queue, QueueEvents and the store. */
  let ownCluster: Cluster;

  /**
   * A worker app (Express, `{ cluster }`) and a web-only app (Fastify, no worker, given the
   * application's own ioredis Cluster) on one queue.
   */
  async function startPair(): Promise<[TestApp, TestApp]> {
    queueNumber += 1;
    const name = `cluster-queue-${queueNumber}`;
    ownCluster ??= new Cluster([...cluster.nodes]);
    const options = (worker: boolean): WebhooksModuleOptions => ({
      ...testWebhooksOptions(),
      processing: 'queue',
      queue: {
        jobSigningKey: SECRETS.jobSigning,
        connection: worker ? cluster.connection : ownCluster,
        name,
        attempts: 3,
        backoffMs: 50,
        worker,
      },
    });
    const worker = await startTestApp(WebhooksModule.forRoot(options(true)), { platform: 'express' });
    apps.push(worker);
    const web = await startTestApp(WebhooksModule.forRoot(options(false)), { platform: 'fastify' });
    apps.push(web);
    queue = new Queue(name, { connection: inspector, prefix: DEFAULT_CLUSTER_PREFIX });
    queues.push(queue);
    return [worker, web];
  }

  afterAll(async () => {
    for (const opened of queues.splice(0)) await opened.close();
    for (const app of apps.splice(0)) await app.app.close();
    await ownCluster?.quit();
  });

  it('handles a queued delivery exactly once, however often and wherever it is sent', async () => {
    const [worker, web] = await startPair();
    const signed = web.app.get(WebhookSigner).sign('guuru', { question: 'queued on a cluster', rating: 5 });
    const servers = [web.app.getHttpServer() as App, worker.app.getHttpServer() as App];

    const firstAnswer = await deliver(servers[0]!, '/webhooks/guuru', signed).expect(200);
    expect(firstAnswer.body).toMatchObject({ received: true, queued: true });
    expect(firstAnswer.body.duplicate).toBeUndefined();
    const repeat = await deliver(servers[1]!, '/webhooks/guuru', signed).expect(200);
    expect(repeat.body).toMatchObject({ queued: true, duplicate: true });

    // The job is under the hash-tagged prefix: all of the queue's keys share one slot.
    const jobs = await queue.getJobs(['waiting', 'active', 'completed']);
    expect(jobs.map((job) => (job.data as { deliveryId: string }).deliveryId)).toEqual([firstAnswer.body.deliveryId]);

    await queueIdle(queue);
    expect(worker.calls.of('guuru')).toHaveLength(1);
    expect(worker.calls.of('guuru')[0]!.context.deliveryId).toBe(firstAnswer.body.deliveryId);
    expect(worker.calls.of('guuru')[0]!.payload).toMatchObject({ question: 'queued on a cluster', rating: 5 });
    expect(web.calls.of('guuru')).toHaveLength(0);

    // A late repeat, once handled, queues and runs nothing.
    const late = await deliver(servers[0]!, '/webhooks/guuru', signed).expect(200);
    expect(late.body).toMatchObject({ duplicate: true });
    await queueIdle(queue);
    expect(worker.calls.of('guuru')).toHaveLength(1);
    expect(await queue.getJobCounts('completed')).toEqual({ completed: 1 });
  });

  it('keeps a delivery that fails every attempt as a dead letter, and replays it once from the web instance', async () => {
    const [worker, web] = await startPair();
    const deliveries = web.app.get(WebhookDeliveries);
    const signed = web.app.get(WebhookSigner).sign('broken', { question: 'dead letter on a cluster' });
    const answer = await deliver(web.app.getHttpServer() as App, '/webhooks/broken', signed).expect(200);

    await eventually(async () => (await deliveries.listFailed()).length === 1, 15_000);
    await queueIdle(queue);
    expect(worker.handlers.brokenAttempts).toBe(3);
    expect(worker.calls.of('broken')).toHaveLength(0);
    const [entry] = await deliveries.listFailed();
    expect(entry).toMatchObject({
      source: 'broken',
      deliveryId: answer.body.deliveryId,
      attempts: 3,
      error: expect.stringContaining('the broken handler is still broken'),
    });

    worker.handlers.broken = false;
    expect(await deliveries.replay(entry!.id, { timeoutMs: 15_000 })).toEqual({ id: entry!.id, status: 'handled' });
    expect(worker.calls.of('broken')).toHaveLength(1);
    expect(worker.calls.of('broken')[0]!.context.deliveryId).toBe(answer.body.deliveryId);
    expect(await deliveries.listFailed()).toEqual([]);

    await queueIdle(queue);
    expect(worker.handlers.brokenAttempts).toBe(4);
    expect(worker.calls.of('broken')).toHaveLength(1);
    // Replaying it again: it is no dead letter any more.
    await expect(deliveries.replay(entry!.id)).rejects.toThrow(/No failed webhook delivery has the id/);
    // The sender's late retry runs nothing again.
    await deliver(web.app.getHttpServer() as App, '/webhooks/broken', signed).expect(200);
    await queueIdle(queue);
    expect(worker.calls.of('broken')).toHaveLength(1);
    expect(worker.handlers.brokenAttempts).toBe(4);
  });
});

describe('Redis Cluster: start-up', () => {
  it('refuses a queue prefix without a hash tag on a cluster', async () => {
    await expect(
      startTestApp(
        WebhooksModule.forRoot({
          ...testWebhooksOptions(),
          processing: 'queue',
          queue: { jobSigningKey: SECRETS.jobSigning, connection: cluster.connection, prefix: 'webhooks' },
        }),
      ),
    ).rejects.toThrow(/queue\.prefix must be a key prefix with a hash tag on a Redis Cluster/);
  });

  // Last: it takes a master down for good.
  it('fails start-up, naming the cluster, while a master is down', async () => {
    await cluster.killNode(2);
    const alive = cluster.nodes.slice(0, 2);
    await eventually(async () => {
      const infos = await Promise.all(alive.map((node) => clusterInfo(node.port).catch(() => '')));
      return infos.every((info) => info.includes('cluster_state:fail'));
    }, 20_000);

    const startedAt = Date.now();
    const error = await startTestApp(
      WebhooksModule.forRoot({
        ...testWebhooksOptions(),
        deliveries: { store: 'redis', connection: cluster.connection },
      }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const nodes = cluster.nodes.map((node) => `127\\.0\\.0\\.1:${node.port}`).join(', ');
    expect((error as Error).message).toMatch(
      new RegExp(`^Redis at ${nodes} \\(Redis Cluster\\) is unreachable \\(needed for the Redis delivery store\\): `),
    );
    expect((error as Error).message).toContain('cluster_state:ok');
    expect(Date.now() - startedAt).toBeLessThan(15_000);
  }, 45_000);
});
