import { describe, expect, it } from '@jest/globals';
import { MemoryDeliveryStore } from '../../lib/index.js';

describe('MemoryDeliveryStore', () => {
  function storeAt(start = 0, maxEntries?: number) {
    const clock = { now: start };
    return { clock, store: new MemoryDeliveryStore({ maxEntries, now: () => clock.now }) };
  }

  it('claims once; a second owner finds it in progress; the owner itself renews its claim', async () => {
    const { store } = storeAt();
    expect((await store.claim('s:1', 'a', 60)).state).toBe('claimed');
    expect((await store.claim('s:1', 'b', 60)).state).toBe('in_progress');
    expect((await store.claim('s:1', 'a', 60)).state).toBe('claimed');
  });

  it('remembers a completed delivery as done until its ttl passes', async () => {
    const { clock, store } = storeAt();
    await store.claim('s:1', 'a', 60);
    await store.complete('s:1', 100);
    expect((await store.claim('s:1', 'b', 60)).state).toBe('done');
    clock.now += 99_000;
    expect((await store.claim('s:1', 'b', 60)).state).toBe('done');
    clock.now += 2_000;
    expect((await store.claim('s:1', 'b', 60)).state).toBe('claimed');
  });

  it('frees a claim whose lease ran out (its process died)', async () => {
    const { clock, store } = storeAt();
    await store.claim('s:1', 'a', 10);
    clock.now += 10_001;
    expect((await store.claim('s:1', 'b', 10)).state).toBe('claimed');
  });

  it('releases only the owner’s own claim', async () => {
    const { store } = storeAt();
    await store.claim('s:1', 'a', 60);
    await store.release('s:1', 'b');
    expect((await store.claim('s:1', 'b', 60)).state).toBe('in_progress');
    await store.release('s:1', 'a');
    expect((await store.claim('s:1', 'b', 60)).state).toBe('claimed');
  });

  it('stays bounded by evicting the oldest completed entries, and never refuses a new delivery', async () => {
    const { store } = storeAt(0, 100);
    for (let index = 0; index < 100; index += 1) {
      await store.claim(`s:${index}`, 'a', 60);
      await store.complete(`s:${index}`, 3600);
    }
    expect(store.size).toBe(100);
    expect((await store.claim('s:new', 'a', 60)).state).toBe('claimed');
    expect(store.size).toBeLessThanOrEqual(100);
    // The oldest were forgotten, the newest are still known.
    expect((await store.claim('s:0', 'b', 60)).state).toBe('claimed');
    expect((await store.claim('s:99', 'b', 60)).state).toBe('done');
  });

  it('keeps in-progress claims when full of them, growing rather than refusing', async () => {
    const { store } = storeAt(0, 10);
    for (let index = 0; index < 10; index += 1) await store.claim(`s:${index}`, 'a', 60);
    expect((await store.claim('s:extra', 'a', 60)).state).toBe('claimed');
    expect(store.size).toBe(11);
    expect((await store.claim('s:0', 'b', 60)).state).toBe('in_progress');
  });

  it('keeps the handlers that succeeded when a claim is released, for the retry', async () => {
    const { store } = storeAt();
    await store.claim('s:1', 'a', 60);
    await store.release('s:1', 'a', { handledBy: ['A.one'], ttlSeconds: 3600 });
    expect(await store.claim('s:1', 'b', 60)).toEqual({ state: 'claimed', handledBy: ['A.one'] });
    await store.complete('s:1', 60);
    expect(await store.claim('s:1', 'c', 60)).toEqual({ state: 'done', handledBy: [] });
  });
});
