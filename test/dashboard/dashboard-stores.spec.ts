import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { WebhookHandlerRun, WebhookRejectionReason } from '../../lib/core/errors/index.js';
import type { WebhookProvider } from '../../lib/core/webhook-provider.js';
import type { DashboardStore, MinuteCounts } from '../../lib/dashboard/dashboard.store.js';
import { minuteOf } from '../../lib/dashboard/dashboard.store.js';
import { MemoryDashboardStore } from '../../lib/dashboard/memory-dashboard.store.js';
import { RedisDashboardStore } from '../../lib/dashboard/redis-dashboard.store.js';
import type { DeliveryAttempt } from '../../lib/module/delivery-attempt.js';
import { WebhookEvents, type WebhookOutcome, type WebhookOutcomeEvent } from '../../lib/module/webhook-events.js';
import { WebhookOutcomeRecorder } from '../../lib/module/webhook-outcome-recorder.service.js';
import type { WebhookSource, WebhookSources } from '../../lib/module/webhook-sources.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';

/**
 * The store under test, fed as the dashboard feeds it: through the public `WebhookEvents.onOutcome`,
 * with events built by the module's own outcome recorder (so headers are masked as in the app, lazily).
 */
let store: DashboardStore;
const events = new WebhookEvents();
events.onOutcome((event) => store.append(event));
const recorder = new WebhookOutcomeRecorder(events, { selfCheckRunning: false } as WebhookSources);

/** A configured source, as the recorder reads it: its provider's name and sensitive headers. */
function sourceOf(name: string, sensitiveHeaders: readonly string[] = []): WebhookSource {
  return { name, provider: { name, sensitiveHeaders } as unknown as WebhookProvider } as WebhookSource;
}

interface Attempt {
  readonly attemptId: string;
  readonly source?: string;
  readonly tenant?: string;
  /** Set once verified; `undefined` for a request refused before verification. */
  readonly deliveryId?: string;
  readonly via?: 'request' | 'queue';
  readonly headers?: Record<string, string>;
  readonly sensitiveHeaders?: readonly string[];
  readonly rawBody?: Buffer;
}

let attempts = 0;
/** A fresh attempt id, as unique as the module's. */
function nextId(): string {
  attempts += 1;
  return `t-${attempts.toString(36)}`;
}

function emit(
  attempt: Attempt,
  outcome: WebhookOutcome,
  details: {
    reason?: WebhookRejectionReason;
    detail?: string;
    status?: number;
    verifyMs?: number;
    handlersMs?: number;
    handlers?: readonly WebhookHandlerRun[];
  } = {},
): void {
  const source = attempt.source ?? 'guuru';
  const delivery: DeliveryAttempt = {
    attemptId: attempt.attemptId,
    via: attempt.via ?? 'request',
    sourceName: source,
    source: sourceOf(source, attempt.sensitiveHeaders),
    tenant: attempt.tenant,
    headers: attempt.headers ?? {},
    rawBody: attempt.rawBody,
    verified:
      attempt.deliveryId === undefined
        ? undefined
        : { deliveryId: attempt.deliveryId, event: undefined, timestamp: undefined },
    verifyMs: details.verifyMs,
  };
  recorder.record(delivery, outcome, {
    reason: details.reason,
    detail: details.detail,
    status: details.status,
    durations: { handlersMs: details.handlersMs },
    handlers: details.handlers,
  });
}

/** One verified attempt at `deliveryId` and its final outcome. */
function deliver(deliveryId: string, outcome: WebhookOutcome = 'handled', more: Partial<Attempt> = {}): Attempt {
  const attempt = { attemptId: nextId(), deliveryId, ...more };
  emit(attempt, 'verified');
  emit(attempt, outcome);
  return attempt;
}

/** A request refused before verification (anyone can send one). */
function refuse(detail: string, more: Partial<Attempt> = {}): Attempt {
  const attempt = { attemptId: nextId(), ...more };
  emit(attempt, 'rejected', { reason: 'invalid_signature', status: 401, detail });
  return attempt;
}

/** The counters of every minute since `from`, summed (a test may cross a minute's boundary). */
function summed(minutes: readonly MinuteCounts[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const { counts } of minutes)
    for (const [field, count] of Object.entries(counts)) total[field] = (total[field] ?? 0) + count;
  return total;
}

/** Redis appends are fire-and-forget: waits until `count` records (or a while) have landed. */
async function settled(count: number): Promise<void> {
  for (let i = 0; i < 100 && (await store.list({})).length < count; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // Appends that complete a record add none: give them the time one round trip takes.
  await new Promise((resolve) => setTimeout(resolve, 50));
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
  it("joins an attempt's verified and final outcome into one record by attempt id, and counts both", async () => {
    store = await open();
    const start = minuteOf(Date.now());
    try {
      const attempt = { attemptId: nextId(), deliveryId: 'd1', headers: { 'x-a': '1' } };
      emit(attempt, 'verified', { verifyMs: 1 });
      emit(attempt, 'handled', { handlersMs: 2, handlers: [{ handler: 'H.m', succeeded: true }] });
      const refused = refuse('bad');
      await settled(2);
      const records = await store.list({});
      expect(records.map((record) => record.outcome)).toEqual(['rejected', 'handled']);
      expect(records[1]).toMatchObject({
        attemptId: attempt.attemptId,
        deliveryId: 'd1',
        verified: true,
        verifyMs: 1,
        handlersMs: 2,
        handlers: [{ handler: 'H.m', succeeded: true }],
        headers: { 'x-a': '1' },
      });
      expect(records[0]).toMatchObject({ attemptId: refused.attemptId, verified: false, reason: 'invalid_signature' });
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

  it('keeps only the last maxEntries attempts, and a repeat of a delivery is an attempt of its own', async () => {
    store = await open();
    try {
      for (const id of ['a', 'b', 'c', 'd']) deliver(id);
      deliver('d', 'duplicate');
      await settled(3);
      const records = await store.list({});
      expect(records.map((record) => `${record.deliveryId}:${record.outcome}`)).toEqual([
        'd:duplicate',
        'd:handled',
        'c:handled',
      ]);
      expect(new Set(records.map((record) => record.attemptId)).size).toBe(3);
    } finally {
      await store.close?.();
    }
  });

  it('joins each outcome to its own attempt, whatever the delivery ids, sources and tenants, in any order', async () => {
    store = await open();
    try {
      // One delivery id verified three times at once (two sources, a tenant), completed out of order.
      const plain = { attemptId: nextId(), deliveryId: 'same' };
      const other = { attemptId: nextId(), deliveryId: 'same', source: 'usersnap' };
      const tenant = { attemptId: nextId(), deliveryId: 'same', tenant: 't1' };
      for (const attempt of [plain, other, tenant]) emit(attempt, 'verified');
      emit(other, 'failed', { reason: 'handler_failed' });
      emit(tenant, 'duplicate');
      emit(plain, 'handled');
      await settled(3);
      const records = await store.list({});
      expect(records.map((record) => `${record.source}/${record.tenant ?? '-'}:${record.outcome}`)).toEqual([
        'guuru/t1:duplicate',
        'usersnap/-:failed',
        'guuru/-:handled',
      ]);
      expect(records.map((record) => record.attemptId)).toEqual([tenant.attemptId, other.attemptId, plain.attemptId]);
    } finally {
      await store.close?.();
    }
  });

  it('never lets requests refused before verification push out a verified attempt: they have a ring of their own', async () => {
    store = await open();
    try {
      deliver('kept-1');
      deliver('kept-2');
      for (let n = 1; n <= 10; n += 1) refuse(`forged ${n}`, { source: n % 2 === 0 ? 'guuru' : 'wp-admin' });
      await settled(5);
      const records = await store.list({});
      expect(records.map((record) => record.deliveryId ?? record.detail)).toEqual([
        'forged 10',
        'forged 9',
        'forged 8',
        'kept-2',
        'kept-1',
      ]);
      const verified = await store.list({ outcome: 'handled' });
      for (const record of verified) expect(await store.get(record.id)).toEqual(record);
    } finally {
      await store.close?.();
    }
  });

  it('makes a final outcome whose verified entry the ring has dropped a record of its own, touching no other', async () => {
    store = await open();
    try {
      const early = { attemptId: nextId(), deliveryId: 'a', headers: { 'x-a': '1' } };
      emit(early, 'verified');
      for (const id of ['b', 'c', 'd']) deliver(id);
      emit(early, 'handled');
      await settled(3);
      const records = await store.list({});
      expect(records.map((record) => `${record.deliveryId}:${record.outcome}`)).toEqual([
        'a:handled',
        'd:handled',
        'c:handled',
      ]);
      expect(records[0]).toMatchObject({ attemptId: early.attemptId, verified: true });
    } finally {
      await store.close?.();
    }
  });

  it("records each queue worker's run as an attempt of its own, and the request's as queued", async () => {
    store = await open();
    const start = minuteOf(Date.now());
    try {
      const request = deliver('q1', 'queued');
      const first = { attemptId: nextId(), deliveryId: 'q1', via: 'queue' as const };
      const second = { attemptId: nextId(), deliveryId: 'q1', via: 'queue' as const };
      emit(first, 'failed', { reason: 'handler_failed', detail: 'down' });
      emit(second, 'handled');
      await settled(3);
      const records = await store.list({});
      expect(records.map((record) => `${record.attemptId}:${record.via}:${record.outcome}`)).toEqual([
        `${second.attemptId}:queue:handled`,
        `${first.attemptId}:queue:failed`,
        `${request.attemptId}:request:queued`,
      ]);
      expect(records.every((record) => record.verified)).toBe(true);
      expect(summed(await store.counts(start))).toEqual({
        '["guuru","verified"]': 1,
        '["guuru","queued"]': 1,
        '["guuru","failed"]': 1,
        '["guuru","handled"]': 1,
      });
    } finally {
      await store.close?.();
    }
  });

  it('counts handshakes, and a queue job whose seal failed is not verified', async () => {
    store = await open();
    const start = minuteOf(Date.now());
    try {
      deliver('ping', 'handshake');
      emit({ attemptId: nextId(), via: 'queue' }, 'failed', { reason: 'job_tampered', detail: 'seal' });
      await settled(2);
      const [tampered, handshake] = await store.list({});
      expect(handshake).toMatchObject({ outcome: 'handshake', verified: true });
      expect(tampered).toMatchObject({ outcome: 'failed', reason: 'job_tampered', verified: false });
      expect(summed(await store.counts(start))).toMatchObject({ '["guuru","handshake"]': 1 });
    } finally {
      await store.close?.();
    }
  });

  it("shows headers masked, by the sender's list and by credential-like names, and never masks the request's own", async () => {
    store = await open();
    try {
      const headers = { 'x-guuru-hmac-sha256': 'c2lnbmF0dXJl', authorization: 'Bearer tok-123', 'x-plain': 'shown' };
      const refusedHeaders = { 'x-api-key': 'key-456', 'x-plain': '<b>refused</b>' };
      deliver('m1', 'handled', { headers, sensitiveHeaders: ['x-guuru-hmac-sha256'] });
      refuse('no', { headers: refusedHeaders });
      await settled(2);
      const [refused, record] = await store.list({});
      expect(record?.headers).toEqual({
        'x-guuru-hmac-sha256': '[masked]',
        authorization: '[masked]',
        'x-plain': 'shown',
      });
      expect(refused?.headers).toEqual({ 'x-api-key': '[masked]', 'x-plain': '<b>refused</b>' });
      const shown = JSON.stringify([await store.list({}), await store.get(record!.id), await store.get(refused!.id)]);
      for (const secret of ['c2lnbmF0dXJl', 'tok-123', 'key-456']) expect(shown).not.toContain(secret);
      // The request's own object: reading never masks it in place.
      expect(headers.authorization).toBe('Bearer tok-123');
    } finally {
      await store.close?.();
    }
  });

  it('finds nothing for an id the ring has since reused, or an id it never gave', async () => {
    store = await open();
    try {
      deliver('first');
      await settled(1);
      const [first] = await store.list({});
      expect(await store.get(first!.id)).toMatchObject({ deliveryId: 'first' });
      for (const id of ['b', 'c', 'd']) deliver(id);
      await settled(3);
      expect((await store.list({})).map((record) => record.deliveryId)).toEqual(['d', 'c', 'b']);
      expect(await store.get(first!.id)).toBeUndefined();
      const forged = ['', 'zz', '0-0', `${first!.id}0`, '../rec', 'rec:x', '*', 'a'.repeat(500), 'ids', 'counts:1'];
      for (const id of forged) expect(await store.get(id)).toBeUndefined();
    } finally {
      await store.close?.();
    }
  });

  it('keeps a body only with showBodies, cut at 64 KiB, and always its size', async () => {
    const body = Buffer.from(`{"big":"${'x'.repeat(70 * 1024)}"}`);
    for (const showBodies of [false, true]) {
      store = await open(showBodies);
      try {
        deliver('b1', 'handled', { rawBody: body });
        await settled(1);
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
      for (const source of ['wp-admin', '.env']) {
        emit({ attemptId: nextId(), source }, 'rejected', { reason: 'unknown_source', status: 404 });
      }
      emit({ attemptId: nextId() }, 'rejected', { reason: 'timestamp_out_of_window', status: 401 });
      await settled(3);
      expect(summed(await store.counts(start))).toEqual({
        '["(unknown sources)","rejected:unknown_source"]': 2,
        '["guuru","rejected:timestamp_out_of_window"]': 1,
      });
    } finally {
      await store.close?.();
    }
  });
});

describe('the memory dashboard store', () => {
  it("masks an attempt's headers once, when its first outcome is recorded, never again for a page", async () => {
    store = new MemoryDashboardStore({ maxEntries: 3 });
    let reads = 0;
    const headers = new Proxy<Record<string, string>>(
      { authorization: 'Bearer zz', 'x-late': 'yes' },
      {
        ownKeys(target) {
          reads += 1;
          return Reflect.ownKeys(target);
        },
      },
    );
    deliver('masked-once', 'handled', { headers });
    expect(reads).toBe(1);
    const [record] = await store.list({});
    expect(record?.headers).toEqual({ authorization: '[masked]', 'x-late': 'yes' });
    await store.list({});
    await store.get(record!.id);
    expect(reads).toBe(1);
  });

  it("never reopens a completed entry: an attempt's second final outcome is a record of its own", async () => {
    store = new MemoryDashboardStore({ maxEntries: 10 });
    // Another attempt still running, so the store looks for an open entry at all.
    const running = { attemptId: nextId(), deliveryId: 'still-running' };
    emit(running, 'verified');
    const attempt = deliver('told-twice', 'handled');
    emit(attempt, 'failed', { reason: 'handler_failed' });
    expect((await store.list({})).map((record) => `${record.deliveryId}:${record.outcome}`)).toEqual([
      'told-twice:failed',
      'told-twice:handled',
      'still-running:verified',
    ]);
  });

  it('completes the newest open entry of an attempt whose id opened two (a caller of append, not the module)', async () => {
    store = new MemoryDashboardStore({ maxEntries: 10 });
    const attempt = { attemptId: nextId(), deliveryId: 'opened-twice' };
    emit(attempt, 'verified');
    emit(attempt, 'verified');
    emit(attempt, 'handled');
    emit(attempt, 'failed', { reason: 'handler_failed' });
    expect((await store.list({})).map((record) => record.outcome)).toEqual(['handled', 'failed']);
  });

  // Rings larger than, smaller than and as large as the store's window of recent entries (32).
  it.each([50, 20, 32])(
    'joins each final outcome to its entry, however many attempts began meanwhile (a model of the rules; %i entries)',
    async (maxEntries) => {
      // Attempts that finish within a few others are found among the newest entries, slower ones by id: both must
      // give what a plain list of the rules gives, including attempts whose entry the ring dropped while they ran.
      store = new MemoryDashboardStore({ maxEntries });
      let seed = 7;
      const random = () => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed / 4294967296;
      };
      interface Modelled {
        readonly attempt: Attempt;
        outcome: WebhookOutcome;
        open: boolean;
        /** Opened by its `verified` (which gave its verifyMs), rather than made by a final outcome alone. */
        readonly opened: boolean;
      }
      const ring: Modelled[] = [];
      const running: Attempt[] = [];
      const begin = (modelled: Modelled) => {
        ring.push(modelled);
        if (ring.length > maxEntries) ring.shift();
      };
      for (let step = 0; step < 4000; step += 1) {
        // Up to 70 attempts run at once, more than the ring holds; most finish soon, some much later.
        const finishing = running.length > 0 && (running.length >= 70 || random() < 0.5);
        if (!finishing) {
          const attempt = { attemptId: nextId(), deliveryId: `d${step}` };
          emit(attempt, 'verified', { verifyMs: step + 0.5 });
          running.push(attempt);
          begin({ attempt, outcome: 'verified', open: true, opened: true });
          continue;
        }
        const recent = random() < 0.7;
        const index = Math.floor(random() * (recent ? Math.min(8, running.length) : running.length));
        const [attempt] = running.splice(recent ? running.length - 1 - index : index, 1) as [Attempt];
        const outcome: WebhookOutcome = random() < 0.5 ? 'handled' : 'failed';
        emit(attempt, outcome, { handlersMs: step + 0.25 });
        const entry = ring.find((modelled) => modelled.attempt === attempt && modelled.open);
        if (entry) Object.assign(entry, { outcome, open: false });
        else begin({ attempt, outcome, open: false, opened: false });
      }
      // Each entry's durations are its own attempt's (the ring keeps them apart from the entries): a verified
      // entry's verifyMs is its step + 0.5, a completed one's handlersMs the step that completed it + 0.25.
      const shown = (await store.list({})).map(
        (record) => `${record.deliveryId}:${record.outcome}:${record.verifyMs}:${record.handlersMs !== undefined}`,
      );
      expect(shown).toEqual(
        ring
          .map(({ attempt, outcome, open, opened }) => {
            const verifyMs = opened ? Number(attempt.deliveryId!.slice(1)) + 0.5 : undefined;
            return `${attempt.deliveryId}:${outcome}:${verifyMs}:${!open}`;
          })
          .reverse(),
      );
    },
  );

  it("shows each entry's own time and durations in a ring of several blocks of numbers, after it came round", async () => {
    // 1,024 entries per block: 2,500 entries are three blocks, and 3,100 attempts reuse the first places.
    store = new MemoryDashboardStore({ maxEntries: 2500 });
    for (let n = 0; n < 3100; n += 1) {
      const attempt = { attemptId: nextId(), deliveryId: `n${n}` };
      emit(attempt, 'verified', { verifyMs: n + 0.5 });
      emit(attempt, 'handled', { handlersMs: n + 0.25 });
    }
    const records = await store.list({});
    expect(records).toHaveLength(2500);
    const wrong = records.filter((record) => {
      const n = Number(record.deliveryId!.slice(1));
      return record.verifyMs !== n + 0.5 || record.handlersMs !== n + 0.25 || typeof record.at !== 'number';
    });
    expect(wrong).toEqual([]);
    expect(records.map((record) => record.deliveryId)).toEqual(
      Array.from({ length: 2500 }, (_, index) => `n${3099 - index}`),
    );
    const [newest] = records;
    expect(await store.get(newest!.id)).toEqual(newest);
  });

  it('shows every header value as sent, while it shares repeated values, past the number of values it keeps', async () => {
    store = new MemoryDashboardStore({ maxEntries: 700 });
    // 600 new values (more than the 512 it keeps, so it starts again) beside a value every request repeats.
    for (let n = 0; n < 600; n += 1) {
      deliver(`h${n}`, 'handled', { headers: { host: `example.${'org'}`, 'x-n': `value-${n}` } });
    }
    // A caller of append (not the module) whose event's headers are frozen: they are kept as they are.
    let told: WebhookOutcomeEvent | undefined;
    const stop = events.onOutcome((event) => (told = event));
    deliver('told', 'handled', { headers: { host: 'example.org' } });
    stop();
    const frozen = Object.freeze({ host: 'example.org', 'x-frozen': 'yes' });
    expect(() =>
      store.append({ ...told!, attemptId: nextId(), deliveryId: 'frozen', at: told!.at, headers: frozen }),
    ).not.toThrow();
    const records = await store.list({});
    const wrong = records
      .filter((record) => record.deliveryId?.startsWith('h'))
      .filter(
        (record) =>
          record.headers.host !== 'example.org' || record.headers['x-n'] !== `value-${record.deliveryId!.slice(1)}`,
      );
    expect(wrong).toEqual([]);
    expect(records[0]?.headers).toEqual({ host: 'example.org', 'x-frozen': 'yes' });
  });

  it('keeps no body alive: a ring full of 1 MiB requests, forged or verified, holds none of them', async () => {
    store = new MemoryDashboardStore({ maxEntries: 20 });
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    const before = process.memoryUsage().arrayBuffers;
    for (let n = 0; n < 20; n += 1) {
      deliver(`big-${n}`, 'handled', { rawBody: Buffer.alloc(1 << 20, 1) });
      refuse(`forged big ${n}`, { rawBody: Buffer.alloc(1 << 20, 2) });
    }
    const records = await store.list({});
    expect(records).toHaveLength(40);
    expect(records.every((record) => record.bodyBytes === 1 << 20 && record.body === undefined)).toBe(true);
    // 40 MiB of bodies were recorded; after a collection (two, for the buffers' memory to be released) none is held.
    for (let cycle = 0; cycle < 2; cycle += 1) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 << 20);
  });

  it('gives one id per entry: no alias of it, nor the same place in the other ring, finds it', async () => {
    store = new MemoryDashboardStore({ maxEntries: 3 });
    deliver('v');
    refuse('r');
    const [refused, verified] = await store.list({});
    for (const record of [refused!, verified!]) {
      const [at, place] = record.id.split('-') as [string, string];
      const [ring, sequence] = [place.slice(0, 1), place.slice(1)];
      const other = ring === 'v' ? 'r' : 'v';
      expect(await store.get(record.id)).toEqual(record);
      for (const alias of [`0${at}-${place}`, `${at}-${ring}0${sequence}`, `0${record.id}`, `${record.id}-`]) {
        expect(await store.get(alias)).toBeUndefined();
      }
      // The same place in the other ring is another entry (or none), never this one.
      expect((await store.get(`${at}-${other}${sequence}`))?.attemptId).not.toBe(record.attemptId);
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
    deliver('x');
    refuse('y');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(errors).toHaveLength(1);
    await store.close?.();
  });
});
