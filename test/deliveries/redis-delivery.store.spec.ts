import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisDeliveryStore } from '../../lib/deliveries/redis-delivery.store.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';

describe('RedisDeliveryStore (real redis-server)', () => {
  let redis: TestRedis;
  let store: RedisDeliveryStore;

  beforeAll(async () => {
    redis = await startTestRedis();
    store = await RedisDeliveryStore.connect(redis.url, { keyPrefix: 'test:' });
  });

  afterAll(async () => {
    await store.close();
    await redis.stop();
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

  it('fails start-up with a message that names Redis when it is unreachable', async () => {
    await expect(RedisDeliveryStore.connect('redis://127.0.0.1:1')).rejects.toThrow(
      /Redis at 127\.0\.0\.1:1 is unreachable \(needed for the Redis delivery store\)/,
    );
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
});
