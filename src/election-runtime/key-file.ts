/**
 * key-file: reads the election's HMAC-SHA256 keys from their files (never from the YAML).
 *
 * Format, chosen so that the usual ways of making a key all work and both nodes agree:
 * - a file of raw bytes (`head -c 32 /dev/urandom > key`) is the key, byte for byte;
 * - a text file (every byte printable ASCII or whitespace: `openssl rand -hex 32 > key`,
 *   `openssl rand -base64 32 > key`) is the key with surrounding whitespace removed. The text is
 *   not decoded: its bytes are the key. Decoding would gain no strength and would make hex and
 *   base64 that happen to look alike ambiguous; trimming means an editor's trailing newline on one
 *   node does not split the pair.
 * The key must be at least KEY_MIN_BYTES (32) bytes (RFC 2104 §3: shorter than the hash output
 * weakens it) and at most KEY_FILE_MAX_BYTES, which catches a path pointing at the wrong file.
 *
 * A key file that other users can read or write is refused: anyone on the host could forge
 * adverts and take the VIPs. Group access is allowed (a `tandem` group, systemd LoadCredential).
 */
import { open } from 'node:fs/promises';
import { KEY_MIN_BYTES } from '../election/options.js';
import type { KeySet } from '../election/types.js';

/** KEY_FILE_MAX_BYTES bounds a key file; a longer one is almost surely the wrong path. */
export const KEY_FILE_MAX_BYTES = 1024;

/** KeyFileProblem is why a key file was refused; it selects the stable error code. */
export type KeyFileProblem = 'unreadable' | 'not-a-file' | 'permissions' | 'too-short' | 'too-long';

const CODES: Readonly<Record<KeyFileProblem, string>> = {
  unreadable: 'TANDEM_KEY_FILE_UNREADABLE',
  'not-a-file': 'TANDEM_KEY_FILE_NOT_A_FILE',
  permissions: 'TANDEM_KEY_FILE_PERMISSIONS',
  'too-short': 'TANDEM_KEY_FILE_TOO_SHORT',
  'too-long': 'TANDEM_KEY_FILE_TOO_LONG',
};

/** KeyFileError names the key file and says how to fix it; `code` is stable per problem. */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
  /** code is TANDEM_KEY_FILE_*, one per KeyFileProblem. */
  readonly code: string;
  readonly problem: KeyFileProblem;
  readonly path: string;

  constructor(problem: KeyFileProblem, path: string, message: string, options?: ErrorOptions) {
    super(`key file ${path}: ${message}`, options);
    this.code = CODES[problem];
    this.problem = problem;
    this.path = path;
  }
}

/** readKeyFile returns the key held in one file (see the file comment for the format). */
export async function readKeyFile(path: string): Promise<Uint8Array> {
  let raw: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new KeyFileError('not-a-file', path, 'is not a regular file; point authKeyFile at the key file itself');
      if ((stat.mode & 0o007) !== 0) {
        throw new KeyFileError(
          'permissions',
          path,
          `mode ${(stat.mode & 0o777).toString(8)} lets other users read or write the key; run \`chmod o-rwx ${path}\` (0600 or 0640)`,
        );
      }
      if (stat.size > KEY_FILE_MAX_BYTES) throw tooLong(path, stat.size);
      raw = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof KeyFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new KeyFileError('unreadable', path, `cannot read it (${code}); check the path and that the daemon's user may read it`, {
      cause: error,
    });
  }
  if (raw.length > KEY_FILE_MAX_BYTES) throw tooLong(path, raw.length);
  const key = isText(raw) ? trimmed(raw) : raw;
  if (key.length < KEY_MIN_BYTES) {
    throw new KeyFileError(
      'too-short',
      path,
      `holds a ${key.length}-byte key; use at least ${KEY_MIN_BYTES} random bytes, e.g. \`head -c 32 /dev/urandom > ${path}\` or \`openssl rand -hex 32 > ${path}\``,
    );
  }
  return new Uint8Array(key);
}

/** readKeySet reads the current key and, when configured, the next one (for rotation). */
export async function readKeySet(currentPath: string, nextPath: string | null): Promise<KeySet> {
  const current = await readKeyFile(currentPath);
  if (nextPath === null) return { current };
  return { current, next: await readKeyFile(nextPath) };
}

function tooLong(path: string, bytes: number): KeyFileError {
  return new KeyFileError('too-long', path, `is ${bytes} bytes, more than ${KEY_FILE_MAX_BYTES}; is this the key file?`);
}

/** isText: every byte is printable ASCII, tab, CR or LF, as `openssl rand -hex|-base64` writes. */
function isText(bytes: Buffer): boolean {
  return bytes.every((byte) => (byte >= 0x20 && byte < 0x7f) || byte === 0x09 || byte === 0x0a || byte === 0x0d);
}

function trimmed(bytes: Buffer): Buffer {
  return Buffer.from(bytes.toString('latin1').trim(), 'latin1');
}
