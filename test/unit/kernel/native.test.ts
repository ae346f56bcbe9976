import { describe, expect, it } from 'vitest';
import { isErrnoException, loadNative } from '../../../src/kernel/native.js';

describe('native addon: interface lookups', () => {
  it('maps lo to index 1 and back', () => {
    const native = loadNative();
    expect(native.ifNameToIndex('lo')).toBe(1);
    expect(native.ifIndexToName(1)).toBe('lo');
  });

  it('raises a Node-style errno error for an unknown interface', () => {
    const native = loadNative();
    let thrown: unknown;
    try {
      native.ifNameToIndex('no-such-if0');
    } catch (error) {
      thrown = error;
    }
    expect(isErrnoException(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'ENODEV', errno: -19, syscall: 'if_nametoindex' });
  });

  it('rejects a non-string name with a TypeError', () => {
    const native = loadNative();
    expect(() => native.ifNameToIndex(42 as unknown as string)).toThrow(TypeError);
  });
});
