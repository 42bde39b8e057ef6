import { Queue } from 'bullmq';

/** The job states in which a job may still run a handler. */
const PENDING_STATES = ['active', 'waiting', 'delayed', 'prioritized', 'waiting-children'] as const;

/** How many jobs of a queue are in each state that may still run a handler. */
export type PendingJobCounts = Record<(typeof PENDING_STATES)[number], number>;

/**
 * Waits until the BullMQ queue `name` on `redisUrl` has no job that could still run a handler:
 * none active (a job whose worker died counts as active until it is taken back), waiting (a
 * paused queue's jobs included), delayed (a retry's back-off), prioritised or waiting for
 * children. Once it is idle, nothing more can run unless something new is added, so "it did not
 * run again" can be asserted without guessing how long to wait. Fails after `timeoutMs` with the
 * counts it last saw.
 */
export async function waitForQueueIdle(
  redisUrl: string,
  name: string,
  { timeoutMs = 30_000 }: { timeoutMs?: number } = {},
): Promise<void> {
  const queue = new Queue(name, { connection: { url: redisUrl } });
  queue.on('error', () => undefined);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const counts = (await queue.getJobCounts(...PENDING_STATES)) as PendingJobCounts;
      if (PENDING_STATES.every((state) => counts[state] === 0)) return;
      if (Date.now() > deadline) {
        throw new Error(`queue ${name} not idle within ${timeoutMs} ms: ${JSON.stringify(counts)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await queue.close();
  }
}

/** Polls `check` until it holds; fails after `timeoutMs`, naming `what`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
