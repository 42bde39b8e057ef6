/** Renews one claim: resolves `false` when the claim was lost (taken by another owner after it expired). */
export type RenewClaim = (key: string, owner: string) => Promise<boolean>;

/**
 * The claims of deliveries whose handlers are running, renewed together by one timer every
 * third of a lease (a claim is renewed at least once a third of its lease, whenever it began):
 * a long handler is never run a second time beside itself, and a short one costs a map entry,
 * not a timer of its own. The timer runs only while claims are held.
 */
export class ClaimRenewals {
  private readonly held = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly renew: RenewClaim,
    private readonly onLost: (key: string) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Starts renewing `owner`'s claim of `key`. */
  hold(key: string, owner: string): void {
    this.held.set(key, owner);
    if (!this.timer) {
      this.timer = setInterval(() => this.renewAll(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Stops renewing it (the delivery was completed or released). */
  drop(key: string): void {
    this.held.delete(key);
    if (this.held.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private renewAll(): void {
    for (const [key, owner] of this.held) {
      this.renew(key, owner).then(
        (kept) => {
          if (!kept) this.onLost(key);
        },
        (error: unknown) => this.onError(error),
      );
    }
  }
}
