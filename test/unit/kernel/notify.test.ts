import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isErrnoException } from '../../../src/kernel/native.js';
import { Notifier } from '../../../src/kernel/notify.js';

/** A Notifier whose datagrams are recorded instead of sent. */
function recording(env: Record<string, string>, pid = 4242): { notifier: Notifier; sent: { path: string; text: string }[] } {
  const sent: { path: string; text: string }[] = [];
  const notifier = new Notifier({
    env,
    pid,
    send: (path, data) => sent.push({ path, text: data.toString('utf8') }),
    monotonicUsec: () => 123_456_789n,
  });
  return { notifier, sent };
}

/**
 * receiveOne binds a real unix datagram socket with python3 (Node cannot create one), waits
 * until it is bound, runs `send`, and resolves with the first datagram's text.
 */
function receiveOne(address: string, send: () => void): Promise<string> {
  const script = [
    'import socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    'a = sys.argv[1]',
    "s.bind('\\0' + a[1:] if a.startswith('@') else a)",
    "print('bound', flush=True)",
    's.settimeout(10)',
    'sys.stdout.write(s.recv(4096).decode())',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', script, address], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    let sent = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      if (!sent && output.startsWith('bound\n')) {
        sent = true;
        try {
          send();
        } catch (error) {
          child.kill();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(output.slice('bound\n'.length));
      else reject(new Error(`python3 receiver exited with ${code}`));
    });
  });
}

describe('Notifier message formats (sd_notify(3))', () => {
  it('does nothing without NOTIFY_SOCKET', () => {
    const { notifier, sent } = recording({});
    notifier.ready('MASTER');
    notifier.watchdog();
    expect(notifier.socketPath).toBeUndefined();
    expect(sent).toEqual([]);
  });

  it('formats ready, reloading, stopping, watchdog and status', () => {
    const { notifier, sent } = recording({ NOTIFY_SOCKET: '/run/systemd/notify' });
    notifier.ready('MASTER VI_1');
    notifier.reloading();
    notifier.stopping();
    notifier.watchdog();
    notifier.status('BACKUP');
    expect(sent.map((s) => s.text)).toEqual([
      'READY=1\nSTATUS=MASTER VI_1',
      'RELOADING=1\nMONOTONIC_USEC=123456789',
      'STOPPING=1',
      'WATCHDOG=1',
      'STATUS=BACKUP',
    ]);
    expect(new Set(sent.map((s) => s.path))).toEqual(new Set(['/run/systemd/notify']));
  });

  it('keeps status text on one line so it cannot inject another assignment', () => {
    const { notifier, sent } = recording({ NOTIFY_SOCKET: '@notify' });
    notifier.status('fine\nREADY=1\r\nmore');
    expect(sent[0]?.text).toBe('STATUS=fine READY=1 more');
  });

  it('pings the watchdog at half of WATCHDOG_USEC, only in the process WATCHDOG_PID names', () => {
    expect(recording({ WATCHDOG_USEC: '3000000' }).notifier.watchdogIntervalMs).toBe(1500);
    expect(recording({ WATCHDOG_USEC: '3000000', WATCHDOG_PID: '4242' }).notifier.watchdogIntervalMs).toBe(1500);
    expect(recording({ WATCHDOG_USEC: '3000000', WATCHDOG_PID: '1' }).notifier.watchdogIntervalMs).toBeUndefined();
    expect(recording({ WATCHDOG_USEC: 'soon' }).notifier.watchdogIntervalMs).toBeUndefined();
    expect(recording({}).notifier.watchdogIntervalMs).toBeUndefined();
  });
});

describe('Notifier over a real unix datagram socket', () => {
  it('delivers to a socket path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-notify-'));
    try {
      const path = join(dir, 'notify');
      const notifier = new Notifier({ env: { NOTIFY_SOCKET: path } });
      await expect(receiveOne(path, () => { notifier.ready('MASTER VI_1'); })).resolves.toBe('READY=1\nSTATUS=MASTER VI_1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('delivers to an abstract socket named with a leading @', async () => {
    const address = `@tandem-notify-test-${process.pid}`;
    const notifier = new Notifier({ env: { NOTIFY_SOCKET: address } });
    await expect(receiveOne(address, () => { notifier.watchdog(); })).resolves.toBe('WATCHDOG=1');
  });

  it('raises a Node-style errno error when nobody listens', () => {
    const notifier = new Notifier({ env: { NOTIFY_SOCKET: `@tandem-nobody-${process.pid}` } });
    let thrown: unknown;
    try {
      notifier.ready();
    } catch (error) {
      thrown = error;
    }
    expect(isErrnoException(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'ECONNREFUSED', syscall: 'sendto' });
  });
});
