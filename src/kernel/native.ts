/**
 * native: the typed surface of the C++ addon in native/, loaded lazily.
 *
 * This is the only module that touches the compiled binary. Nothing loads it at import time:
 * the first call to loadNative() does, so pure modules and their tests never need a build.
 * The addon makes system calls only; every byte layout and every policy lives in TypeScript.
 */
import { createRequire } from 'node:module';

/** An Error raised by the addon for a failed system call, shaped like Node's own. */
export interface ErrnoException extends Error {
  /** Symbolic errno name, e.g. "ENOENT". */
  code: string;
  /** Negative errno number, as Node and libuv report it. */
  errno: number;
  /** The system call that failed, e.g. "sendto". */
  syscall: string;
}

/** Every function the addon exports. */
export interface NativeBinding {
  /** Interface name to kernel index (if_nametoindex). Throws ENODEV for an unknown name. */
  ifNameToIndex(name: string): number;
  /** Kernel index to interface name (if_indextoname). Throws ENXIO for an unknown index. */
  ifIndexToName(index: number): string;
}

const BINARY = '../../native/build/Release/tandem_native.node';

let cached: NativeBinding | undefined;

/**
 * loadNative returns the addon, loading it on first use. It fails with a message that says
 * how to build it when the binary is missing.
 */
export function loadNative(): NativeBinding {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  try {
    cached = require(BINARY) as NativeBinding;
  } catch (cause) {
    throw new Error(
      `tandem's native addon is not built (${BINARY} relative to src/kernel). Run \`npm run build:native\`.`,
      { cause },
    );
  }
  return cached;
}

/** isErrnoException tells an addon system-call error from any other thrown value. */
export function isErrnoException(value: unknown): value is ErrnoException {
  return (
    value instanceof Error &&
    typeof (value as Partial<ErrnoException>).code === 'string' &&
    typeof (value as Partial<ErrnoException>).errno === 'number' &&
    typeof (value as Partial<ErrnoException>).syscall === 'string'
  );
}
