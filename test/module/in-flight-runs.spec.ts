import { describe, expect, it } from '@jest/globals';
import { InFlightRuns } from '../../lib/module/in-flight-runs.js';

/** Whether `promise` has settled, once every callback already queued has run. */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('InFlightRuns', () => {
  it('is idle at once when nothing runs', async () => {
    expect(await settled(new InFlightRuns().idle())).toBe(true);
  });

  it('waits for every run begun before idle() was asked, in whatever order they end', async () => {
    const runs = new InFlightRuns();
    const first = runs.begin();
    const second = runs.begin();
    const idle = runs.idle();
    expect(await settled(idle)).toBe(false);
    runs.end(second);
    expect(await settled(idle)).toBe(false);
    runs.end(first);
    expect(await settled(idle)).toBe(true);
  });

  it('does not wait for runs begun after idle() was asked (the server still answers during shutdown)', async () => {
    const runs = new InFlightRuns();
    const before = runs.begin();
    const idle = runs.idle();
    const after = runs.begin();
    runs.end(before);
    expect(await settled(idle)).toBe(true);
    // The later run is still counted: a second idle() waits for it.
    const again = runs.idle();
    expect(await settled(again)).toBe(false);
    runs.end(after);
    expect(await settled(again)).toBe(true);
  });

  it('resolves every waiter once the runs before the last idle() have ended', async () => {
    const runs = new InFlightRuns();
    const first = runs.begin();
    const firstIdle = runs.idle();
    const second = runs.begin();
    const secondIdle = runs.idle();
    runs.end(first);
    expect(await settled(secondIdle)).toBe(false);
    runs.end(second);
    expect([await settled(firstIdle), await settled(secondIdle)]).toEqual([true, true]);
  });

  it('counts runs that end before any idle() was asked', async () => {
    const runs = new InFlightRuns();
    runs.end(runs.begin());
    const open = runs.begin();
    const idle = runs.idle();
    expect(await settled(idle)).toBe(false);
    runs.end(open);
    expect(await settled(idle)).toBe(true);
  });
});
