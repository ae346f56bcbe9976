/**
 * event-loop-slices: long synchronous work of the IPVS owner cut into slices of about the same
 * size, with the event loop let run between them, so a verdict that arrives meanwhile waits for
 * one slice, not for the whole work (issue 5: p99 ≤ 10 ms from verdict to kernel).
 */

/**
 * SLICE_REAL_SERVERS is how many real servers a slice handles (indexed, planned or computed).
 * 500 keeps a slice near 1 ms of the JS thread in the user-mode-linux guest at 20,000 real
 * servers (bench/verdict-latency: 1,000 took 2–4 ms there on the loaded host).
 */
export const SLICE_REAL_SERVERS = 500;

/** Slices counts the real servers handled and awaits `yieldLoop` each time a slice's worth is done. */
export class Slices {
  readonly #yieldLoop: () => Promise<void>;
  #sinceYield = 0;

  constructor(yieldLoop: () => Promise<void>) {
    this.#yieldLoop = yieldLoop;
  }

  /** done counts `realServers` more, and yields once the slice is full. */
  async done(realServers: number): Promise<void> {
    this.#sinceYield += realServers;
    if (this.#sinceYield < SLICE_REAL_SERVERS) return;
    this.#sinceYield = 0;
    await this.#yieldLoop();
  }
}
