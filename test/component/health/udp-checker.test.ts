/** The udp checker against loopback datagram sockets: reply, mismatch, silence, ICMP, source address. */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUdpChecker, payloadBytes } from '../../../src/health/udp-checker.js';
import { checkOf } from '../../unit/health/check-fixtures.js';
import { closedPort, eventually, portOf } from './loopback.js';

/** udpSockets counts this process's datagram sockets. */
const udpSockets = (): number => process.getActiveResourcesInfo().filter((type) => type === 'UDPWrap' || type === 'UDPWRAP').length;

describe('udp checker', () => {
  const seen: { payload: string; remote: string }[] = [];
  let server: Socket;
  let port = 0;
  // idle is the server's own socket; every attempt's socket must be gone again afterwards.
  let idle = 0;
  beforeAll(async () => {
    server = createSocket('udp4');
    // Answers "PONG <payload>" unless asked to stay silent.
    server.on('message', (message, remote) => {
      seen.push({ payload: message.toString('latin1'), remote: remote.address });
      if (message.toString() !== 'quiet') server.send(Buffer.concat([Buffer.from('PONG '), message]), remote.port, remote.address);
    });
    server.bind(0, '127.0.0.1');
    await once(server, 'listening');
    port = portOf(server);
    idle = udpSockets();
  });
  afterAll(() => {
    server.close();
  });
  const checker = createUdpChecker();
  const run = (fields: Record<string, unknown>, checkPort = port) => {
    const check = checkOf('udp', checkPort, { timeoutMs: 200, intervalMs: 1000, ...fields });
    return checker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs));
  };

  it('sends the payload and passes on a reply matching expect', async () => {
    seen.length = 0;
    expect(await run({ payload: 'PING', expect: '^PONG PING$' })).toEqual({ ok: true });
    expect(seen).toEqual([{ payload: 'PING', remote: '127.0.0.1' }]);
  });

  it('sends hex payloads as bytes and matches binary replies', async () => {
    seen.length = 0;
    expect(payloadBytes('hex:00ff10')).toEqual(Buffer.from([0, 0xff, 0x10]));
    expect(await run({ payload: 'hex:00ff10', expect: 'PONG \\x00\\xff\\x10' })).toEqual({ ok: true });
    expect(seen[0]?.payload).toBe('\u0000\u00ff\u0010');
  });

  it('fails with reply when the reply does not match', async () => {
    expect(await run({ payload: 'PING', expect: '^PANG' })).toEqual({ ok: false, reason: 'reply', detail: 'reply of 9 bytes does not match /^PANG/' });
  });

  it('with expect, times out on silence; without, silence passes', async () => {
    expect(await run({ payload: 'quiet', expect: 'PONG' })).toMatchObject({ ok: false, reason: 'timeout' });
    expect(await run({ payload: 'quiet' })).toEqual({ ok: true });
  });

  it('fails with refused on the ICMP port unreachable of a closed port, even without expect', async () => {
    expect(await run({ payload: 'PING' }, await closedPort())).toMatchObject({ ok: false, reason: 'refused' });
  });

  it('fails with local when sourceAddress is not on this host', async () => {
    expect(await run({ payload: 'PING', expect: 'PONG', sourceAddress: '192.0.2.77' })).toMatchObject({ ok: false, reason: 'local' });
  });

  it('sends from sourceAddress and closes its socket', async () => {
    seen.length = 0;
    expect(await run({ payload: 'PING', expect: 'PONG', sourceAddress: '127.0.0.2' })).toEqual({ ok: true });
    expect(seen[0]?.remote).toBe('127.0.0.2');
    await run({ payload: 'quiet', expect: 'PONG' });
    await eventually(() => {
      expect(udpSockets()).toBe(idle);
    });
  });
});
