/**
 * addresses-and-links-recorder: collect port notifications and wait for the one a contract
 * expects. Real notifications arrive whenever the kernel sends them, so tests wait for a
 * matching event (with a deadline) instead of sleeping.
 */

/** EventRecorder keeps every event it was handed and resolves waits that match. */
export class EventRecorder<E> {
  readonly events: E[] = [];
  private readonly waiters: { match: (event: E) => boolean; resolve: (event: E) => void }[] = [];

  /** handler is what to pass to a port's subscribe(). */
  readonly handler = (event: E): void => {
    this.events.push(event);
    for (const waiter of [...this.waiters]) {
      if (waiter.match(event)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  };

  /**
   * next resolves with the first event, already recorded or still to come, that matches;
   * it rejects after `timeoutMs` naming `what`.
   */
  next(what: string, match: (event: E) => boolean, timeoutMs = 5_000): Promise<E> {
    const seen = this.events.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<E>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no ${what} within ${timeoutMs} ms; saw ${JSON.stringify(this.events)}`));
      }, timeoutMs);
      this.waiters.push({
        match,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      });
    });
  }

  /** clear forgets the events recorded so far. */
  clear(): void {
    this.events.length = 0;
  }
}
