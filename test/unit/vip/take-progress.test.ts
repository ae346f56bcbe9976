import { describe, expect, it } from 'vitest';
import { TakeProgress } from '../../../src/vip/take-progress.js';

/** outcome reads what `held` settled with so far, after queued reactions ran. */
async function outcome(take: TakeProgress): Promise<boolean | 'pending'> {
  const pending = Symbol('pending');
  const settled = await Promise.race([take.held, new Promise<symbol>((resolve) => { setImmediate(() => { resolve(pending); }); })]);
  return settled === pending ? 'pending' : (settled as boolean);
}

describe('TakeProgress', () => {
  it('is held once every VIP is present and then announced, in any order across VIPs', async () => {
    const take = new TakeProgress(['192.0.2.1', '2001:db8::1']);
    take.present('2001:db8::1');
    take.announced('2001:db8::1');
    take.present('192.0.2.1');
    expect(await outcome(take)).toBe('pending');
    expect(take.complete).toBe(false);
    take.announced('192.0.2.1');
    expect(await outcome(take)).toBe(true);
    expect(take.complete).toBe(true);
  });

  it('ignores an announcement of a VIP not known on its interface: it must be announced again once there', async () => {
    const take = new TakeProgress(['192.0.2.1']);
    take.announced('192.0.2.1');
    take.present('192.0.2.1');
    expect(await outcome(take)).toBe('pending');
    expect(take.isPresent('192.0.2.1')).toBe(true);
    take.announced('192.0.2.1');
    expect(await outcome(take)).toBe(true);
  });

  it('a VIP found absent again is missing (not to be announced) until present; a completed take stays complete', async () => {
    const take = new TakeProgress(['192.0.2.1']);
    take.present('192.0.2.1');
    take.absent('192.0.2.1');
    take.announced('192.0.2.1');
    expect(take.missing).toBe(true);
    expect(await outcome(take)).toBe('pending');
    take.present('192.0.2.1');
    take.announced('192.0.2.1');
    take.absent('192.0.2.1');
    expect(take.isPresent('192.0.2.1')).toBe(false);
    expect(take.complete).toBe(true);
    expect(await outcome(take)).toBe(true);
  });

  it('abandon settles false, and nothing after turns it true', async () => {
    const take = new TakeProgress(['192.0.2.1']);
    take.abandon();
    take.present('192.0.2.1');
    take.announced('192.0.2.1');
    expect(await outcome(take)).toBe(false);
    expect(take.complete).toBe(false);
  });

  it('restart tracks a new list from scratch; addresses it does not track count as present', async () => {
    const take = new TakeProgress(['192.0.2.1']);
    take.present('192.0.2.1');
    take.restart(['192.0.2.2']);
    expect(take.isPresent('192.0.2.1')).toBe(true);
    expect(take.isPresent('192.0.2.2')).toBe(false);
    take.present('192.0.2.2');
    take.announced('192.0.2.2');
    expect(await outcome(take)).toBe(true);
  });

  it('is held at once with no VIPs, or once a reload empties the list, since nothing will ever complete it', async () => {
    expect(await outcome(new TakeProgress([]))).toBe(true);
    const take = new TakeProgress(['192.0.2.1']);
    expect(await outcome(take)).toBe('pending');
    take.restart([]);
    expect(await outcome(take)).toBe(true);
  });
});
