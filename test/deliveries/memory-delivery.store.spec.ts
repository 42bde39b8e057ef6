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

  /** The reason a promise was refused with. */
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: { reason?: string }) => error.reason,
    );

  it('when full, refuses a new delivery (delivery_store_full) rather than forget one that could be replayed', async () => {
    const { store } = storeAt(0, 100);
    for (let index = 0; index < 100; index += 1) {
      await store.claim(`s:${index}`, 'a', 60);
      await store.complete(`s:${index}`, 3600);
    }
    expect(store.size).toBe(100);
    expect(await refusal(store.claim('s:new', 'a', 60))).toBe('delivery_store_full');
    expect(store.size).toBe(100);
    // Nothing was forgotten: every one is still a duplicate.
    for (let index = 0; index < 100; index += 1) expect((await store.claim(`s:${index}`, 'b', 60)).state).toBe('done');
  });

  it('forgets a delivery once its replay window is over, the earliest to end first', async () => {
    const { clock, store } = storeAt(0, 3);
    await store.claim('s:late', 'a', 60);
    await store.complete('s:late', 3600, 50_000);
    await store.claim('s:early', 'a', 60);
    await store.complete('s:early', 3600, 20_000);
    await store.claim('s:no-timestamp', 'a', 60);
    await store.complete('s:no-timestamp', 3600);
    expect(await refusal(store.claim('s:new', 'a', 60))).toBe('delivery_store_full');
    clock.now = 20_000;
    expect((await store.claim('s:new', 'a', 60)).state).toBe('claimed');
    // The one whose window ended went; the others are still duplicates.
    expect((await store.claim('s:late', 'b', 60)).state).toBe('done');
    expect((await store.claim('s:no-timestamp', 'b', 60)).state).toBe('done');
    await store.release('s:new', 'a');
    expect((await store.claim('s:early', 'b', 60)).state).toBe('claimed');
  });

  it('forgets a delivery of a sender without a timestamp only when its ttl is up', async () => {
    const { clock, store } = storeAt(0, 1);
    await store.claim('s:1', 'a', 60);
    await store.complete('s:1', 100);
    clock.now = 99_999;
    expect(await refusal(store.claim('s:2', 'a', 60))).toBe('delivery_store_full');
    clock.now = 100_000;
    expect((await store.claim('s:2', 'a', 60)).state).toBe('claimed');
  });

  it('never forgets a claim whose lease is running; one whose lease ended may go', async () => {
    const { clock, store } = storeAt(0, 10);
    for (let index = 0; index < 10; index += 1) await store.claim(`s:${index}`, 'a', 60);
    expect(await refusal(store.claim('s:extra', 'a', 60))).toBe('delivery_store_full');
    expect((await store.claim('s:0', 'b', 60)).state).toBe('in_progress');
    clock.now = 60_000;
    expect((await store.claim('s:extra', 'a', 60)).state).toBe('claimed');
    expect(store.size).toBe(10);
  });

  it('a flood of fresh deliveries never makes an earlier one claimable again inside its window', async () => {
    const { clock, store } = storeAt(0, 50);
    await store.claim('s:victim', 'a', 60);
    await store.complete('s:victim', 86_400, 300_000);
    let refused = 0;
    for (let index = 0; index < 2_000; index += 1) {
      clock.now = index * 100; // 200 s of flooding, all inside the victim's 300 s window
      const claimed = await refusal(store.claim(`s:flood-${index}`, 'f', 60));
      if (claimed === 'delivery_store_full') refused += 1;
      else await store.complete(`s:flood-${index}`, 86_400, clock.now + 300_000);
      expect((await store.claim('s:victim', 'replayer', 60)).state).toBe('done');
    }
    expect(refused).toBeGreaterThan(1_900);
  });

  it('stays fast and bounded while renewals leave stale entries behind', async () => {
    const { clock, store } = storeAt(0, 100);
    for (let round = 0; round < 50; round += 1) {
      clock.now += 1000;
      for (let index = 0; index < 100; index += 1) await store.claim(`s:${index}`, 'a', 60);
    }
    expect(store.size).toBe(100);
    clock.now += 61_000;
    expect((await store.claim('s:after-leases', 'b', 60)).state).toBe('claimed');
  });

  // The larger store has heaps deep enough for an entry moved in the middle to need sifting either way.
  it.each([
    { maxEntries: 20, keys: 100 },
    { maxEntries: 300, keys: 1_000 },
  ])(
    'answers as a plain model of the rules does, through thousands of random claims, completions and releases ($maxEntries entries)',
    async ({ maxEntries, keys }) => {
      // The model keeps no heap: when full, it forgets the entry with the earliest forgettable time, if that has come.
      interface ModelEntry {
        state: 'processing' | 'released' | 'done';
        owner?: string;
        expiresAt: number;
        forgettableAt: number;
        /** What a released claim kept for the retry. */
        handledBy?: string;
      }
      const model = new Map<string, ModelEntry>();
      const { clock, store } = storeAt(0, maxEntries);
      let seed = 7;
      const random = (): number => {
        seed = (seed * 48_271) % 2_147_483_647;
        return seed / 2_147_483_647;
      };
      const modelClaim = (key: string, owner: string, leaseMs: number): string => {
        let entry = model.get(key);
        if (entry && entry.expiresAt <= clock.now) {
          model.delete(key);
          entry = undefined;
        }
        if (entry?.state === 'done') return 'done';
        if (entry?.state === 'processing' && entry.owner !== owner) return 'in_progress';
        if (!entry) {
          while (model.size >= maxEntries) {
            const [earliestKey, earliest] = [...model].reduce((a, b) =>
              b[1].forgettableAt < a[1].forgettableAt ? b : a,
            );
            if (earliest.forgettableAt > clock.now) return 'delivery_store_full';
            model.delete(earliestKey);
          }
        }
        model.set(key, {
          state: 'processing',
          owner,
          expiresAt: clock.now + leaseMs,
          forgettableAt: clock.now + leaseMs,
          handledBy: entry?.handledBy,
        });
        return entry?.handledBy ? `claimed after ${entry.handledBy}` : 'claimed';
      };
      let previousKey = 's:0';
      for (let step = 0; step < 20_000; step += 1) {
        // Fractions of a millisecond keep every forgettable time distinct, so the order of forgetting is defined.
        clock.now += random() * 500;
        // Half the steps act on the previous step's key: claimed, then done or released, then claimed again.
        const key = random() < 0.5 ? previousKey : `s:${Math.floor(random() * keys)}`;
        previousKey = key;
        const owner = random() < 0.5 ? 'a' : 'b';
        const action = random();
        if (action < 0.5) {
          const lease = 10 + random();
          const expected = modelClaim(key, owner, lease * 1000);
          const actual = await store.claim(key, owner, lease).then(
            (claim) => (claim.handledBy.length > 0 ? `${claim.state} after ${claim.handledBy.join()}` : claim.state),
            (error: { reason?: string }) => error.reason,
          );
          expect(`${step}: ${actual}`).toBe(`${step}: ${expected}`);
        } else if (action < 0.85) {
          const ttl = 5 + random() * 60;
          const replayableUntil = random() < 0.5 ? clock.now + random() * 30_000 : undefined;
          await store.complete(key, ttl, replayableUntil);
          const expiresAt = clock.now + ttl * 1000;
          model.set(key, { state: 'done', expiresAt, forgettableAt: Math.min(expiresAt, replayableUntil ?? Infinity) });
        } else {
          // Half the releases keep a succeeded handler: the entry moves from the claims to the records and back.
          const progress = random() < 0.5 ? { handledBy: ['A.one'], ttlSeconds: 5 + random() * 60 } : undefined;
          await store.release(key, owner, progress);
          const entry = model.get(key);
          const ownClaim = entry?.state === 'processing' && entry.owner === owner;
          if (ownClaim && progress) {
            const expiresAt = clock.now + progress.ttlSeconds * 1000;
            model.set(key, { state: 'released', expiresAt, forgettableAt: expiresAt, handledBy: 'A.one' });
          } else if (ownClaim) {
            model.delete(key);
          }
        }
        // Nothing kept that the model forgot, nothing forgotten that it kept.
        expect(`${step}: ${store.size}`).toBe(`${step}: ${model.size}`);
      }
    },
  );

  it('keeps the handlers that succeeded when a claim is released, for the retry', async () => {
    const { store } = storeAt();
    await store.claim('s:1', 'a', 60);
    await store.release('s:1', 'a', { handledBy: ['A.one'], ttlSeconds: 3600 });
    expect(await store.claim('s:1', 'b', 60)).toEqual({ state: 'claimed', handledBy: ['A.one'] });
    await store.complete('s:1', 60);
    expect(await store.claim('s:1', 'c', 60)).toEqual({ state: 'done', handledBy: [] });
  });
});
