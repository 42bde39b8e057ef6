import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Writable } from 'node:stream';
import { Cluster, Redis } from 'ioredis';
import { closeRedisClient, connectRedis } from '../../lib/deliveries/redis-connection.js';
import { RedisDeliveryStore } from '../../lib/deliveries/redis-delivery.store.js';
import { sealJob } from '../../lib/deliveries/delivery-job.js';
import { WebhookQueue } from '../../lib/deliveries/webhook-queue.js';
import type { RedisConnection } from '../../lib/index.js';
import {
  beginSlotMigration,
  finishSlotMigration,
  keySlot,
  keysInSlot,
  slotOwner,
  startTestRedisCluster,
  type TestRedisCluster,
} from '../support/redis-cluster.js';
import { freePort, startTestRedis, type TestRedis } from '../support/redis-server.js';

/** One Redis, and a Redis Cluster of three masters: the store behaves the same on both. */
interface Backend {
  connection(): RedisConnection;
  stop(): Promise<void>;
}

const BACKENDS: readonly [string, () => Promise<Backend>][] = [
  [
    'one redis-server',
    async () => {
      const redis: TestRedis = await startTestRedis();
      return { connection: () => redis.url, stop: () => redis.stop() };
    },
  ],
  [
    'a Redis Cluster of three masters',
    async () => {
      const cluster: TestRedisCluster = await startTestRedisCluster();
      return { connection: () => cluster.connection, stop: () => cluster.stop() };
    },
  ],
];

describe.each(BACKENDS)('RedisDeliveryStore on %s', (_name, start) => {
  let backend: Backend;
  let store: RedisDeliveryStore;

  beforeAll(async () => {
    backend = await start();
    store = await RedisDeliveryStore.connect(backend.connection(), { keyPrefix: 'test:' });
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await backend?.stop();
  });

  it('lets exactly one of many concurrent owners claim a delivery', async () => {
    const claims = await Promise.all(Array.from({ length: 50 }, (_, index) => store.claim('s:race', `o${index}`, 60)));
    expect(claims.filter((claim) => claim.state === 'claimed')).toHaveLength(1);
    expect(claims.filter((claim) => claim.state === 'in_progress')).toHaveLength(49);
  });

  it('renews the same owner’s claim, reports done after completion, and releases only its owner', async () => {
    expect((await store.claim('s:1', 'a', 60)).state).toBe('claimed');
    expect((await store.claim('s:1', 'a', 60)).state).toBe('claimed');
    await store.release('s:1', 'b');
    expect((await store.claim('s:1', 'b', 60)).state).toBe('in_progress');
    await store.release('s:1', 'a');
    expect((await store.claim('s:1', 'b', 60)).state).toBe('claimed');
    await store.complete('s:1', 60);
    expect((await store.claim('s:1', 'c', 60)).state).toBe('done');
  });

  it('lets a claim expire after its lease', async () => {
    expect((await store.claim('s:lease', 'a', 0.2)).state).toBe('claimed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await store.claim('s:lease', 'b', 60)).state).toBe('claimed');
  });

  it('keeps the handlers that succeeded when a claim is released, and forgets them once done', async () => {
    await store.claim('s:progress', 'a', 60);
    await store.release('s:progress', 'a', { handledBy: ['A.one', 'A.two'], ttlSeconds: 60 });
    const retry = await store.claim('s:progress', 'b', 60);
    expect(retry.state).toBe('claimed');
    expect([...retry.handledBy].sort()).toEqual(['A.one', 'A.two']);
    await store.complete('s:progress', 60);
    expect(await store.claim('s:progress', 'c', 60)).toEqual({ state: 'done', handledBy: [] });
  });

  // A sender chooses its delivery ids: braces in them must not split a delivery's keys over two slots.
  it.each(['s:{}', 's:}{', 's:{x}', 's:a}b{c', 's:{{}}', 's:' + '}'.repeat(40)])(
    'keeps claim, progress and completion of a delivery whose id holds braces (%s) together',
    async (key) => {
      await store.claim(key, 'a', 60);
      await store.release(key, 'a', { handledBy: ['A.one'], ttlSeconds: 60 });
      expect(await store.claim(key, 'b', 60)).toEqual({ state: 'claimed', handledBy: ['A.one'] });
      await store.complete(key, 60);
      expect((await store.claim(key, 'c', 60)).state).toBe('done');
    },
  );

  it('sends the commands of deliveries handled in one turn of the event loop in one write per connection', async () => {
    const client = await connectRedis(backend.connection(), 'the test');
    const batching = new RedisDeliveryStore(client, { keyPrefix: 'test-writes:' });
    try {
      const keys = Array.from({ length: 30 }, (_, index) => `s:write-${index}`);
      // Once first, so a cluster node's script is loaded (its first call answers NOSCRIPT and is sent again).
      await Promise.all(keys.map((key) => batching.complete(key, 60)));
      const connections = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
      const writes = countWrites(connections.map((connection) => connection.stream));
      const claims = await Promise.all(keys.map((key) => batching.claim(key, 'o', 60)));
      expect(claims.every((claim) => claim.state === 'done')).toBe(true);
      // One write per connection, where each command used to be a write of its own (30).
      expect(writes()).toBeLessThanOrEqual(connections.length);
      expect(writes()).toBeGreaterThan(0);
    } finally {
      await closeRedisClient(client);
    }
  });

  it('still sends its commands while the test fakes timers, even when they were faked before it loaded', async () => {
    const client = await connectRedis(backend.connection(), 'the test');
    jest.useFakeTimers();
    try {
      // Faked after the library loaded: what releases a held socket is the real setImmediate it kept.
      await expect(store.claim('s:fake-timers', 'o', 60)).resolves.toEqual({ state: 'claimed', handledBy: [] });
      // Faked before it loaded (a fresh copy of the module): it holds nothing, since nothing would release it.
      await jest.isolateModulesAsync(async () => {
        const fresh = await import('../../lib/deliveries/redis-connection.js');
        fresh.writeTogetherThisTurn(client);
        await expect(client.ping()).resolves.toBe('PONG');
      });
    } finally {
      jest.useRealTimers();
      await closeRedisClient(client);
    }
  });

  it('fails start-up with a message that names Redis when it is unreachable', async () => {
    await expect(RedisDeliveryStore.connect('redis://127.0.0.1:1')).rejects.toThrow(
      /Redis at 127\.0\.0\.1:1 is unreachable \(needed for the Redis delivery store\)/,
    );
  });
});

describe('RedisDeliveryStore keys on a Redis Cluster', () => {
  let cluster: TestRedisCluster;

  beforeAll(async () => {
    cluster = await startTestRedisCluster();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('puts both keys of a delivery in one slot, and different deliveries in different slots', async () => {
    const port = cluster.nodes[0]!.port;
    for (const id of ['abc', '{x}', '}{', 'a}b']) {
      const main = `nestjs-signed-webhooks:delivery:{guuru:${id}}`;
      expect(await keySlot(port, `${main}#handled`)).toBe(await keySlot(port, main));
    }
    const slots = await Promise.all(
      ['one', 'two', 'three', 'four'].map((id) => keySlot(port, `nestjs-signed-webhooks:delivery:{guuru:${id}}`)),
    );
    expect(new Set(slots).size).toBe(4);
  });

  it('opens every master’s connection at start-up, so commands sent at once reach Redis in order', async () => {
    const client = (await connectRedis(cluster.connection, 'a test', { enableOfflineQueue: false })) as Cluster;
    try {
      const masters = client.nodes('master');
      expect(masters).toHaveLength(3);
      expect(masters.map((node) => node.status)).toEqual(['ready', 'ready', 'ready']);
      // Without the offline queue a command to a node still connecting is retried later, behind later ones.
      const sent = await Promise.all(Array.from({ length: 50 }, (_, index) => client.rpush('{order}:list', index)));
      expect(sent).toHaveLength(50);
      expect((await client.lrange('{order}:list', 0, -1)).map(Number)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    } finally {
      await closeRedisClient(client);
    }
  });

  it('follows ASK while a delivery’s slot is being resharded, and MOVED once it has moved', async () => {
    const store = await RedisDeliveryStore.connect(cluster.connection);
    const ports = cluster.nodes.map((node) => node.port);
    const key = 'guuru:resharded';
    const mainKey = `nestjs-signed-webhooks:delivery:{${key}}`;
    try {
      await store.claim(key, 'a', 60);
      await store.release(key, 'a', { handledBy: ['A.one'], ttlSeconds: 60 });
      expect(await store.claim(key, 'b', 60)).toEqual({ state: 'claimed', handledBy: ['A.one'] });

      const slot = await keySlot(ports[0]!, mainKey);
      const from = await slotOwner(slot, ports[0]!);
      const to = ports.find((port) => port !== from)!;
      expect([await keysInSlot(from, slot), await keysInSlot(to, slot)]).toEqual([2, 0]);
      await beginSlotMigration(slot, to, ports);
      expect([await keysInSlot(from, slot), await keysInSlot(to, slot)]).toEqual([0, 2]);
      // Both keys are on `to` now, while `from` still owns the slot: it answers ASK.
      expect(await store.claim(key, 'b', 60)).toEqual({ state: 'claimed', handledBy: ['A.one'] });
      expect((await store.claim(key, 'c', 60)).state).toBe('in_progress');

      await finishSlotMigration(slot, to, ports);
      expect(await slotOwner(slot, from)).toBe(to);
      // `from` answers MOVED: the store follows it, and the delivery's state moved whole.
      await store.complete(key, 60);
      expect(await store.claim(key, 'd', 60)).toEqual({ state: 'done', handledBy: [] });
    } finally {
      await store.close();
    }
  });

  it('works through an application’s own ioredis Cluster, and leaves that client open', async () => {
    const own = new Cluster([...cluster.nodes]);
    try {
      const store = await RedisDeliveryStore.connect(own);
      expect((await store.claim('s:own', 'a', 60)).state).toBe('claimed');
      await store.complete('s:own', 60);
      expect((await store.claim('s:own', 'b', 60)).state).toBe('done');
      await store.close();
      expect(await own.ping()).toBe('PONG');
    } finally {
      await own.quit();
    }
  });

  it('fails start-up naming every node, and never the password, when no node answers', async () => {
    const ports = [await freePort(), await freePort()];
    const error = await RedisDeliveryStore.connect({
      cluster: ports.map((port) => ({ host: '127.0.0.1', port })),
      options: { redisOptions: { password: 'cluster-s3cret-Kp4' } },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(
      new RegExp(
        `^Redis at 127\\.0\\.0\\.1:${ports[0]}, 127\\.0\\.0\\.1:${ports[1]} \\(Redis Cluster\\) is unreachable ` +
          '\\(needed for the Redis delivery store\\)',
      ),
    );
    expect(JSON.stringify(error)).not.toContain('s3cret');
    expect(message).not.toContain('s3cret');
    expect((error as Error).stack ?? '').not.toContain('s3cret');
  });

  it('refuses cluster settings that cannot work, before connecting', async () => {
    await expect(RedisDeliveryStore.connect({ cluster: [] })).rejects.toThrow(
      /The Redis Cluster nodes for the Redis delivery store must be a non-empty list of \{ host, port \}/,
    );
    await expect(RedisDeliveryStore.connect({ cluster: [{ host: '127.0.0.1', port: 0 }] })).rejects.toThrow(
      /must be a non-empty list of \{ host, port \}/,
    );
    // The types refuse a keyPrefix: this is what JavaScript, or a cast, would get.

    await expect(
      RedisDeliveryStore.connect({
        cluster: [...cluster.nodes],
        options: { redisOptions: { keyPrefix: 'app:' } },
      } as unknown as RedisConnection),
    ).rejects.toThrow(/must be free of keyPrefix/);
  });

  it('refuses a key prefix with braces, which would move or empty the hash tag', async () => {
    await expect(RedisDeliveryStore.connect(cluster.connection, { keyPrefix: 'app:{}:' })).rejects.toThrow(
      /keyPrefix must be free of "\{" and "\}"/,
    );
  });

  it('fails a queue on an unreachable cluster with a message that names it', async () => {
    const port = await freePort();
    await expect(
      WebhookQueue.open({ connection: { cluster: [{ host: '127.0.0.1', port }] }, jobSigningKey: 'k'.repeat(32) }),
    ).rejects.toThrow(
      new RegExp(
        `Redis at 127\\.0\\.0\\.1:${port} \\(Redis Cluster\\) is unreachable \\(needed for processing: "queue"\\)`,
      ),
    );
  });
});

describe('WebhookQueue on one redis-server', () => {
  let redis: TestRedis;
  let queue: WebhookQueue;

  beforeAll(async () => {
    redis = await startTestRedis();
    queue = await WebhookQueue.open({ connection: redis.url, jobSigningKey: 'k'.repeat(32), worker: false });
  }, 60_000);

  afterAll(async () => {
    await queue?.close();
    await redis?.stop();
  });

  it('sends the jobs of deliveries queued in one turn of the event loop in one write', async () => {
    const key = Buffer.from('k'.repeat(32));
    const job = (index: number) =>
      sealJob(
        {
          source: 's',
          tenant: null,
          scope: null,
          deliveryId: `d${index}`,
          event: null,
          timestamp: null,
          headers: { 'content-type': 'application/json' },
          body: Buffer.from('{}').toString('base64'),
          receivedAt: Date.now(),
          acceptedBy: 'test',
        },
        [key],
      );
    // Once first: BullMQ's script is loaded, and every later add is one command. BullMQ sends it within the turn
    // `add` is called in (after a few promise steps, no timer); a version that waited for a timer would fail here.
    await queue.enqueue('warm-up', job(0));
    // The queue's own client: private, and read here only to count what it writes.
    const client = (await queue['queue'].getBackend().client) as unknown as Redis;
    const writes = countWrites([client.stream]);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, index) => queue.enqueue(`j${index}`, job(index))));
    expect(answers).toEqual(Array.from({ length: 30 }, () => 'queued'));
    // Each delivery's read and add (60 commands) used to be a write each.
    expect(writes()).toBe(1);
  });
});

describe('Redis connection errors', () => {
  it('never repeat a password from a malformed Redis URL', async () => {
    const error = await RedisDeliveryStore.connect('redis://:s3cr#tPass@127.0.0.1:6399').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toContain('is unreachable');
    expect(JSON.stringify(error)).not.toContain('s3cr');
    expect(String((error as Error).message)).not.toContain('s3cr');
    expect((error as Error).stack ?? '').not.toContain('s3cr');
  });

  it('refuse an ioredis Redis instance, which is no settings', async () => {
    const client = new Redis({ lazyConnect: true });
    try {
      await expect(RedisDeliveryStore.connect(client)).rejects.toThrow(
        /not an ioredis Redis instance: pass its URL or options/,
      );
    } finally {
      client.disconnect();
    }
  });
});

/** Counts the writes to the sockets from now on: each is one system call, whatever it holds. */
function countWrites(streams: readonly Writable[]): () => number {
  let writes = 0;
  for (const stream of streams) {
    const socket = stream as Writable & { _write: Writable['_write']; _writev?: Writable['_writev'] };
    const write = socket._write.bind(socket);
    socket._write = (chunk, encoding, callback) => {
      writes += 1;
      write(chunk, encoding, callback);
    };
    const writev = socket._writev?.bind(socket);
    if (writev) {
      socket._writev = (chunks, callback) => {
        writes += 1;
        writev(chunks, callback);
      };
    }
  }
  return () => writes;
}
