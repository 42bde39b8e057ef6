import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DashboardStore, MinuteCounts } from '../../lib/dashboard/dashboard.store.js';
import { minuteOf } from '../../lib/dashboard/dashboard.store.js';
import { MemoryDashboardStore } from '../../lib/dashboard/memory-dashboard.store.js';
import { RedisDashboardStore } from '../../lib/dashboard/redis-dashboard.store.js';
import { WebhookEvents, type WebhookOutcomeFacts } from '../../lib/module/webhook-events.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';

/** The store under test, fed as the recorder feeds it: through a `WebhookEvents` tap. */
let store: DashboardStore;
const events = new WebhookEvents();
events.tap((facts, at) => store.append(facts, at));

function emitOutcome(facts: Partial<WebhookOutcomeFacts>): void {
  events.emit({ source: 'guuru', outcome: 'verified', ...facts });
}

/** The counters of every minute since `from`, summed (a test may cross a minute's boundary). */
function summed(minutes: readonly MinuteCounts[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const { counts } of minutes)
    for (const [field, count] of Object.entries(counts)) total[field] = (total[field] ?? 0) + count;
  return total;
}

async function settled(store: DashboardStore, count: number): Promise<void> {
  // Redis appends are fire-and-forget: wait until they have landed.
  for (let i = 0; i < 100 && (await store.list({})).length < count; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const stores: [string, (showBodies?: boolean) => Promise<DashboardStore>][] = [
  ['memory', (showBodies) => Promise.resolve(new MemoryDashboardStore({ maxEntries: 3, showBodies }))],
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
  async (showBodies) => {
    redisNumber += 1;
    return RedisDashboardStore.connect(redis.url, {
      maxEntries: 3,
      showBodies,
      keyPrefix: `{test-dashboard-${redisNumber}}:`,
    });
  },
]);

describe.each(stores)('the %s dashboard store', (_name, open) => {
  it("merges a delivery's verified and final outcome into one record, and counts both", async () => {
    store = await open();
    const start = minuteOf(Date.now());
    try {
      emitOutcome({ deliveryId: 'd1', headers: { 'x-a': '1' }, durations: { verifyMs: 1 } });
      emitOutcome({
        deliveryId: 'd1',
        outcome: 'handled',
        durations: { verifyMs: 1, handlersMs: 2 },
        handlers: [{ handler: 'H.m', succeeded: true }],
      });
      emitOutcome({ outcome: 'rejected', reason: 'invalid_signature', status: 401 });
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
      expect(summed(await store.counts(start))).toEqual({
        '["guuru","verified"]': 1,
        '["guuru","handled"]': 1,
        '["guuru","rejected:invalid_signature"]': 1,
      });
      expect(await store.counts(minuteOf(Date.now()) + 1)).toEqual([]);
    } finally {
      await store.close?.();
    }
  });

  it('keeps only the last maxEntries deliveries, and a repeat of a delivery is a record of its own', async () => {
    store = await open();
    try {
      for (const id of ['a', 'b', 'c', 'd']) {
        emitOutcome({ deliveryId: id });
        emitOutcome({ deliveryId: id, outcome: 'handled' });
      }
      emitOutcome({ deliveryId: 'd' });
      emitOutcome({ deliveryId: 'd', outcome: 'duplicate' });
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
  it('keeps apart one delivery id open under two sources and two tenants at once', async () => {
    store = await open();
    try {
      emitOutcome({ deliveryId: 'same' });
      emitOutcome({ source: 'usersnap', deliveryId: 'same' });
      emitOutcome({ deliveryId: 'same', tenant: 't1' });
      emitOutcome({ source: 'usersnap', deliveryId: 'same', outcome: 'failed', reason: 'handler_failed' });
      emitOutcome({ deliveryId: 'same', tenant: 't1', outcome: 'duplicate' });
      emitOutcome({ deliveryId: 'same', outcome: 'handled' });
      await settled(store, 3);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const records = await store.list({});
      expect(records.map((record) => `${record.source}/${record.tenant ?? '-'}:${record.outcome}`)).toEqual([
        'guuru/t1:duplicate',
        'usersnap/-:failed',
        'guuru/-:handled',
      ]);
    } finally {
      await store.close?.();
    }
  });

  it('makes a final outcome whose verified entry the ring has dropped a record of its own, touching no other', async () => {
    store = await open();
    try {
      emitOutcome({ deliveryId: 'a', headers: { 'x-a': '1' } });
      for (const n of [1, 2, 3]) emitOutcome({ outcome: 'rejected', reason: 'invalid_signature', detail: `r${n}` });
      emitOutcome({ deliveryId: 'a', outcome: 'handled' });
      await settled(store, 3);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const records = await store.list({});
      expect(records.map((record) => `${record.deliveryId ?? record.detail}:${record.outcome}`)).toEqual([
        'a:handled',
        'r3:rejected',
        'r2:rejected',
      ]);
      expect(records.slice(1).every((record) => record.deliveryId === undefined && !record.verified)).toBe(true);
    } finally {
      await store.close?.();
    }
  });

  it('lets a repeat replace its own older open entry, even one opened while another source had the id open', async () => {
    store = await open();
    try {
      emitOutcome({ deliveryId: 'x' });
      emitOutcome({ source: 'usersnap', deliveryId: 'x', detail: 'first' });
      emitOutcome({ deliveryId: 'x', outcome: 'handled' });
      emitOutcome({ source: 'usersnap', deliveryId: 'x', detail: 'repeat' });
      emitOutcome({ source: 'usersnap', deliveryId: 'x', outcome: 'handled' });
      emitOutcome({ source: 'usersnap', deliveryId: 'x', outcome: 'duplicate' });
      await settled(store, 3);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const records = (await store.list({ limit: 3 })).map(
        (record) => `${record.source}:${record.outcome}:${record.detail ?? '-'}`,
      );
      expect(records).toEqual(['usersnap:duplicate:-', 'usersnap:handled:repeat', 'usersnap:verified:first']);
    } finally {
      await store.close?.();
    }
  });

  it("masks the sender's signature header and credential-like names when a record is read", async () => {
    store = await open();
    try {
      const headers = { 'x-guuru-hmac-sha256': 'c2lnbmF0dXJl', authorization: 'Bearer tok-123', 'x-plain': 'shown' };
      emitOutcome({ deliveryId: 'm1', headers, sensitiveHeaders: ['x-guuru-hmac-sha256'] });
      emitOutcome({ deliveryId: 'm1', outcome: 'handled', headers, sensitiveHeaders: ['x-guuru-hmac-sha256'] });
      await settled(store, 1);
      const [record] = await store.list({});
      expect(record?.headers).toEqual({
        'x-guuru-hmac-sha256': '[masked]',
        authorization: '[masked]',
        'x-plain': 'shown',
      });
      const shown = JSON.stringify([await store.list({}), await store.get(record!.id)]);
      expect(shown).not.toContain('c2lnbmF0dXJl');
      expect(shown).not.toContain('tok-123');
      // The caller's object is the request's: reading never masks it in place.
      expect(headers.authorization).toBe('Bearer tok-123');
    } finally {
      await store.close?.();
    }
  });

  it('finds nothing for an id the ring has since reused, or an id it never gave', async () => {
    store = await open();
    try {
      emitOutcome({ deliveryId: 'first' });
      await settled(store, 1);
      const [first] = await store.list({});
      expect(await store.get(first!.id)).toMatchObject({ deliveryId: 'first' });
      for (const id of ['b', 'c', 'd']) emitOutcome({ deliveryId: id });
      await settled(store, 3);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await store.list({})).map((record) => record.deliveryId)).toEqual(['d', 'c', 'b']);
      expect(await store.get(first!.id)).toBeUndefined();
      const [at, sequence] = first!.id.split('-') as [string, string];
      const aliases = [`0${at}-${sequence}`, `${at}-0${sequence}`];
      for (const id of ['', 'zz', '0-0', `${first!.id}0`, '../rec', 'a'.repeat(500), ...aliases]) {
        expect(await store.get(id)).toBeUndefined();
      }
    } finally {
      await store.close?.();
    }
  });

  it('keeps a body only with showBodies, cut at 64 KiB, and always its size', async () => {
    const body = Buffer.from(`{"big":"${'x'.repeat(70 * 1024)}"}`);
    for (const showBodies of [false, true]) {
      store = await open(showBodies);
      try {
        emitOutcome({ deliveryId: 'b1', rawBody: body });
        await settled(store, 1);
        const [record] = await store.list({});
        expect(record?.bodyBytes).toBe(body.length);
        if (showBodies) expect(record?.body).toBe(body.subarray(0, 64 * 1024).toString('utf8'));
        else expect(record?.body).toBeUndefined();
      } finally {
        await store.close?.();
      }
    }
  });

  it('counts requests to unknown sources in one row, and rejections by reason', async () => {
    store = await open();
    const start = minuteOf(Date.now());
    try {
      emitOutcome({ source: 'wp-admin', outcome: 'rejected', reason: 'unknown_source', status: 404 });
      emitOutcome({ source: '.env', outcome: 'rejected', reason: 'unknown_source', status: 404 });
      emitOutcome({ outcome: 'rejected', reason: 'timestamp_out_of_window', status: 401 });
      await settled(store, 3);
      expect(summed(await store.counts(start))).toEqual({
        '["(unknown sources)","rejected:unknown_source"]': 2,
        '["guuru","rejected:timestamp_out_of_window"]': 1,
      });
    } finally {
      await store.close?.();
    }
  });
});

describe('the Redis dashboard store when Redis is down', () => {
  it('never throws on append, and reports the failure once', async () => {
    const errors: unknown[] = [];
    const down = await startTestRedis();
    store = await RedisDashboardStore.connect(down.url, {
      maxEntries: 3,
      onError: (error) => errors.push(error),
    });
    await down.stop();
    emitOutcome({});
    emitOutcome({});
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(errors).toHaveLength(1);
    await store.close?.();
  });
});

describe('the memory dashboard store', () => {
  it('keeps the final outcome’s headers when the verified one had none', async () => {
    store = new MemoryDashboardStore({ maxEntries: 3 });
    emitOutcome({ deliveryId: 'late' });
    emitOutcome({ deliveryId: 'late', outcome: 'handled', headers: { 'x-late': 'yes', authorization: 'Bearer zz' } });
    const [record] = await store.list({});
    expect(record?.headers).toEqual({ 'x-late': 'yes', authorization: '[masked]' });
  });
});
