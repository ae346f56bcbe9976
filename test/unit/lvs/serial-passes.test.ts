import { describe, expect, it } from 'vitest';
import { SerialPasses } from '../../../src/lvs/serial-passes.js';
import { FakeClock } from '../../fakes/fake-clock.js';

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('SerialPasses', () => {
  it('runs one pass at a time, and requests made while one is queued share it', async () => {
    const log: string[] = [];
    let active = 0;
    let passes = 0;
    const serial = new SerialPasses(
      async () => {
        active++;
        log.push(`begin ${++passes} (${active} active)`);
        await settle();
        active--;
      },
      new FakeClock(),
      1000,
    );
    const first = serial.request();
    // Asks before the queued pass begins join it: it has not read any input yet.
    expect(serial.request()).toBe(first);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['begin 1 (1 active)']);
    // Asks while it runs queue exactly one more pass, after it.
    const second = serial.request();
    const third = serial.request();
    expect(second).toBe(third);
    await Promise.all([first, second, third]);
    expect(log).toEqual(['begin 1 (1 active)', 'begin 2 (1 active)']);
  });

  it('ticks from the end of each pass until stopped', async () => {
    const clock = new FakeClock();
    let passes = 0;
    const serial = new SerialPasses(
      () => {
        passes++;
        return Promise.resolve();
      },
      clock,
      500,
    );
    serial.startTicking();
    clock.advance(499);
    expect(passes).toBe(0);
    clock.advance(1);
    await settle();
    clock.advance(500);
    await settle();
    expect(passes).toBe(2);
    await serial.stop();
    clock.advance(5000);
    await settle();
    expect(passes).toBe(2);
    expect(clock.pending).toBe(0);
  });

  it('runs write jobs while a pass reads, never two writes at once, and a failed one does not stop the line', async () => {
    const log: string[] = [];
    let release = (): void => undefined;
    const serial: SerialPasses = new SerialPasses(
      async () => {
        log.push('pass reads');
        await new Promise<void>((resolve) => (release = resolve));
        await serial.exclusive(async () => {
          log.push('pass writes');
          await settle();
          log.push('pass wrote');
        });
      },
      new FakeClock(),
      1000,
    );
    const pass = serial.request();
    await settle();
    await expect(serial.exclusive(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(await serial.exclusive(() => Promise.resolve('job during the read'))).toBe('job during the read');
    release();
    await settle();
    const after = serial.exclusive(() => {
      log.push('job after');
      return Promise.resolve();
    });
    await Promise.all([pass, after, serial.settled()]);
    expect(log).toEqual(['pass reads', 'pass writes', 'pass wrote', 'job after']);
  });
});
