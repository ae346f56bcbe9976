/**
 * poll-until: wait for something another process reports (a verdict line, a server's answer)
 * by looking again every few milliseconds, with a deadline that names what never came.
 */

/** pollUntil returns the first value `look` finds (not undefined), or throws once `timeoutMs` passed without one. */
export async function pollUntil<T>(look: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = look();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: nothing within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
