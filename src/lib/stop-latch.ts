// A one-shot latch for background loops: `fire()` once, and every `wait` in
// progress or to come returns at once, so stopping never waits out a sleep.

export class StopLatch {
  fired = false;
  private wakers = new Set<() => void>();
  private resolveStopped!: () => void;
  /** Resolves when fired. */
  readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  fire(): void {
    this.fired = true;
    this.resolveStopped();
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }

  /** Sleeps `ms`, returning early when fired (or when `nudge` is called, if given). */
  wait(ms: number, nudges?: Set<() => void>): Promise<void> {
    if (this.fired) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        nudges?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
      nudges?.add(done);
    });
  }
}
