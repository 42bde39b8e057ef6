import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DashboardUpdate } from '../../lib/dashboard/dashboard-record.js';
import type { DashboardStore } from '../../lib/dashboard/dashboard.store.js';
import { minuteOf } from '../../lib/dashboard/dashboard.store.js';
import { MemoryDashboardStore } from '../../lib/dashboard/memory-dashboard.store.js';
import { RedisDashboardStore } from '../../lib/dashboard/redis-dashboard.store.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0);

function update(fields: Partial<DashboardUpdate>): DashboardUpdate {
  return { at: NOW, source: 'guuru', outcome: 'verified', via: 'request', ...fields };
}

async function settled(store: DashboardStore, count: number): Promise<void> {
  // Redis appends are fire-and-forget: wait until they have landed.
  for (let i = 0; i < 100 && (await store.list({})).length < count; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const stores: [string, () => Promise<DashboardStore>][] = [
  ['memory', () => Promise.resolve(new MemoryDashboardStore(3))],
];

let redis: TestRedis;
let redisNumber = 0;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis.stop();
});
stores.push([
  'redis',
  async () => {
    redisNumber += 1;
    return RedisDashboardStore.connect(redis.url, { maxEntries: 3, keyPrefix: `{test-dashboard-${redisNumber}}:` });
  },
]);

describe.each(stores)('the %s dashboard store', (_name, open) => {
  it("merges a delivery's verified and final outcome into one record, and counts both", async () => {
    const store = await open();
    try {
      store.append(update({ deliveryId: 'd1', headers: { 'x-a': '1' }, verifyMs: 1 }));
      store.append(
        update({
          deliveryId: 'd1',
          outcome: 'handled',
          handlersMs: 2,
          handlers: [{ handler: 'H.m', succeeded: true }],
        }),
      );
      store.append(update({ outcome: 'rejected', reason: 'invalid_signature', status: 401 }));
      await settled(store, 2);
      const records = await store.list({});
      expect(records.map((record) => record.outcome)).toEqual(['rejected', 'handled']);
      expect(records[1]).toMatchObject({
        deliveryId: 'd1',
        verified: true,
        verifyMs: 1,
        handlersMs: 2,
        headers: { 'x-a': '1' },
      });
      expect(records[0]).toMatchObject({ verified: false, reason: 'invalid_signature' });
      expect(await store.get(records[1]!.id)).toEqual(records[1]);
      expect(await store.list({ outcome: 'rejected', reason: 'invalid_signature' })).toHaveLength(1);
      expect(await store.list({ source: 'other' })).toEqual([]);
      const counts = await store.counts(minuteOf(NOW));
      expect(counts).toEqual([
        {
          minute: minuteOf(NOW),
          counts: {
            '["guuru","verified"]': 1,
            '["guuru","handled"]': 1,
            '["guuru","rejected:invalid_signature"]': 1,
          },
        },
      ]);
    } finally {
      await store.close?.();
    }
  });

  it('keeps only the last maxEntries deliveries, and a repeat of a delivery is a record of its own', async () => {
    const store = await open();
    try {
      for (const id of ['a', 'b', 'c', 'd']) {
        store.append(update({ deliveryId: id }));
        store.append(update({ deliveryId: id, outcome: 'handled' }));
      }
      store.append(update({ deliveryId: 'd' }));
      store.append(update({ deliveryId: 'd', outcome: 'duplicate' }));
      await settled(store, 3);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const records = await store.list({});
      expect(records.map((record) => `${record.deliveryId}:${record.outcome}`)).toEqual([
        'd:duplicate',
        'd:handled',
        'c:handled',
      ]);
    } finally {
      await store.close?.();
    }
  });
});

describe('the Redis dashboard store when Redis is down', () => {
  it('never throws on append, and reports the failure once', async () => {
    const errors: unknown[] = [];
    const down = await startTestRedis();
    const store = await RedisDashboardStore.connect(down.url, {
      maxEntries: 3,
      onError: (error) => errors.push(error),
    });
    await down.stop();
    store.append(update({}));
    store.append(update({}));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(errors).toHaveLength(1);
    await store.close();
  });
});
