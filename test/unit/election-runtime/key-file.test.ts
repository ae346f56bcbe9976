/** Key files: raw bytes or trimmed text, at least 32 bytes, never readable by other users. */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_FILE_MAX_BYTES, KeyFileError, readKeyFile, readKeySet } from '../../../src/election-runtime/key-file.js';

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-key-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function keyFile(name: string, content: Uint8Array | string, mode = 0o600): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  await chmod(path, mode); // writeFile's mode is masked by the umask; chmod is exact
  return path;
}

async function refusal(path: string): Promise<KeyFileError> {
  const error: unknown = await readKeyFile(path).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof KeyFileError)) throw new Error(`expected a KeyFileError for ${path}, got ${String(error)}`);
  return error;
}

describe('readKeyFile', () => {
  it('a raw binary file is the key byte for byte (trailing 0x0a and 0x20 included)', async () => {
    const raw = Uint8Array.from({ length: 32 }, (_, index) => (index * 37 + 1) % 256);
    raw[30] = 0x20;
    raw[31] = 0x0a;
    expect(await readKeyFile(await keyFile('raw', raw))).toEqual(raw);
  });

  it('a text file is its trimmed text, not decoded: a trailing newline does not change the key', async () => {
    const hex = 'a1'.repeat(32);
    const withNewline = await readKeyFile(await keyFile('hex-nl', `${hex}\n`));
    const without = await readKeyFile(await keyFile('hex', hex));
    expect(withNewline).toEqual(without);
    expect(Buffer.from(without).toString('latin1')).toBe(hex);
  });

  it('refuses a key shorter than 32 bytes, naming the file and how to make one', async () => {
    const path = await keyFile('short', `${'x'.repeat(31)}\n`);
    const error = await refusal(path);
    expect(error.code).toBe('TANDEM_KEY_FILE_TOO_SHORT');
    expect(error.message).toContain(path);
    expect(error.message).toContain('31-byte');
    expect(error.message).toContain('head -c 32 /dev/urandom');
  });

  it('accepts exactly 32 bytes', async () => {
    expect(await readKeyFile(await keyFile('exact', 'k'.repeat(32)))).toHaveLength(32);
  });

  it('refuses a file other users can read or write, and accepts group read', async () => {
    for (const mode of [0o604, 0o602, 0o644]) {
      const path = await keyFile(`loose-${mode.toString(8)}`, 'k'.repeat(40), mode);
      const error = await refusal(path);
      expect(error.code).toBe('TANDEM_KEY_FILE_PERMISSIONS');
      expect(error.message).toContain(`chmod o-rwx ${path}`);
    }
    expect(await readKeyFile(await keyFile('group', 'k'.repeat(40), 0o640))).toHaveLength(40);
  });

  it('refuses a missing file, a directory and an oversized file with distinct codes', async () => {
    expect((await refusal(join(dir, 'absent'))).code).toBe('TANDEM_KEY_FILE_UNREADABLE');
    const sub = join(dir, 'a-directory');
    await mkdir(sub, { mode: 0o700 });
    expect((await refusal(sub)).code).toBe('TANDEM_KEY_FILE_NOT_A_FILE');
    expect((await refusal(await keyFile('big', 'k'.repeat(KEY_FILE_MAX_BYTES + 1)))).code).toBe('TANDEM_KEY_FILE_TOO_LONG');
  });
});

describe('readKeySet', () => {
  it('reads current alone, or current and next for a rotation', async () => {
    const current = await keyFile('current', 'c'.repeat(32));
    const next = await keyFile('next', 'n'.repeat(32));
    expect(await readKeySet(current, null)).toEqual({ current: new Uint8Array(32).fill(0x63) });
    expect(await readKeySet(current, next)).toEqual({ current: new Uint8Array(32).fill(0x63), next: new Uint8Array(32).fill(0x6e) });
  });

  it('a bad next key file fails the whole set, naming that file', async () => {
    const current = await keyFile('current2', 'c'.repeat(32));
    const next = await keyFile('next-short', 'n');
    await expect(readKeySet(current, next)).rejects.toMatchObject({ code: 'TANDEM_KEY_FILE_TOO_SHORT', path: next });
  });
});
