/**
 * yield-loop: one turn of the event loop for long synchronous work.
 *
 * Code that decodes or diffs a large table (netlink listings, the IPVS owner's full passes) awaits
 * it between slices, so a health verdict or a netlink reply that arrived meanwhile is handled
 * before the work goes on. setImmediate runs after the poll phase, so waiting I/O is read first.
 */

/** yieldLoop resolves after the event loop has run what was waiting (timers, I/O callbacks). */
export function yieldLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
