/**
 * Counts the deliveries being handled inside requests, so that shutdown can wait for the ones
 * that had begun when it started. It keeps counts, not the runs: a set of promises would store
 * every request's promise in a long-lived object, and a CPU profile of the Fastify route showed
 * that add and delete among the module's costliest steps.
 *
 * Each {@link begin} gets the current generation; {@link idle} closes it, so runs begun after
 * shutdown started (the server still answers until Nest closes it) never hold shutdown up.
 */
export class InFlightRuns {
  private generation = 0;
  /** Runs of the current generation not yet ended. */
  private current = 0;
  /** Runs of closed generations not yet ended: what {@link idle} waits for. */
  private older = 0;
  private waiters: (() => void)[] = [];

  /** A run begins; pass what it returns to {@link end}. */
  begin(): number {
    this.current += 1;
    return this.generation;
  }

  /** The run begun in `generation` has ended, however it ended. */
  end(generation: number): void {
    if (generation === this.generation) {
      this.current -= 1;
      return;
    }
    this.older -= 1;
    if (this.older === 0) this.wake();
  }

  /**
   * Resolves once every run begun before this call has ended. Runs are counted, not told apart:
   * if it is called again before then, every waiter also waits for the runs begun between the
   * calls (Nest calls it once, at shutdown).
   */
  idle(): Promise<void> {
    this.older += this.current;
    this.current = 0;
    this.generation += 1;
    if (this.older === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
