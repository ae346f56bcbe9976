/** UdpTransport on loopback: unicast, multicast, own-datagram filter, bind and send errors. */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './runtime-harness.js';
import { ElectionTransportError, UdpTransport, type ElectionTransportOptions } from '../../../src/election-runtime/udp-transport.js';

const opened: { close(): unknown }[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((item) => item.close()));
});

async function listener(type: 'udp4' | 'udp6' = 'udp4', address = '127.0.0.1', port = 0): Promise<{ socket: Socket; port: number; next(): Promise<{ bytes: Buffer; from: string }> }> {
  const socket = createSocket({ type, reuseAddr: true });
  await new Promise<void>((resolve) => socket.bind(port, address, resolve));
  opened.push(socket);
  const queue: { bytes: Buffer; from: string }[] = [];
  const waiting: ((item: { bytes: Buffer; from: string }) => void)[] = [];
  socket.on('message', (bytes, remote) => {
    const item = { bytes, from: `${remote.address}:${remote.port}` };
    const waiter = waiting.shift();
    if (waiter === undefined) queue.push(item);
    else waiter(item);
  });
  return {
    socket,
    port: socket.address().port,
    next: () => new Promise((resolve) => {
      const item = queue.shift();
      if (item === undefined) waiting.push(resolve);
      else resolve(item);
    }),
  };
}

async function open(options: Partial<ElectionTransportOptions>, onDatagram: (bytes: Uint8Array) => void = () => undefined): Promise<UdpTransport> {
  const transport = await UdpTransport.open(
    { mode: 'unicast', port: 0, bindAddresses: ['127.0.0.1'], peers: [], ownAddresses: [], ...options },
    onDatagram,
  );
  opened.push(transport);
  return transport;
}

function openError(options: Partial<ElectionTransportOptions>): Promise<ElectionTransportError> {
  return open(options).then(
    () => {
      throw new Error('expected the transport to fail');
    },
    (error: unknown) => {
      if (!(error instanceof ElectionTransportError)) throw error;
      return error;
    },
  );
}

const ADVERT = new Uint8Array(100).fill(7);

describe('UdpTransport, unicast', () => {
  it('sends each advert to every peer from its bound port', async () => {
    const peer1 = await listener();
    const peer2 = await listener();
    const transport = await open({ peers: [{ address: '127.0.0.1', port: peer1.port }, { address: '127.0.0.1', port: peer2.port }] });
    transport.send(ADVERT);
    const [got1, got2] = await Promise.all([peer1.next(), peer2.next()]);
    const bound = transport.boundEndpoints()[0]!;
    expect(got1).toEqual({ bytes: Buffer.from(ADVERT), from: `127.0.0.1:${bound.port}` });
    expect(got2.from).toBe(`127.0.0.1:${bound.port}`);
    await expect.poll(() => transport.counters().datagramsSent).toBe(2);
  });

  it('hands received datagrams to the driver and drops our own', async () => {
    const port = await freePort();
    const received: Uint8Array[] = [];
    const transport = await open({ port, peers: [{ address: '127.0.0.1', port }], ownAddresses: ['127.0.0.1'] }, (bytes) => received.push(bytes));
    transport.send(ADVERT); // to ourselves: a peer list that names us
    const other = await listener();
    other.socket.send(Buffer.from('hello'), port, '127.0.0.1');
    await expect.poll(() => received.length).toBe(1);
    expect(Buffer.from(received[0]!).toString()).toBe('hello');
    expect(transport.counters()).toMatchObject({ fromSelf: 1, datagramsReceived: 1 });
  });

  it('works over IPv6', async () => {
    const peer = await listener('udp6', '::1');
    const transport = await open({ bindAddresses: ['::1'], peers: [{ address: '::1', port: peer.port }] });
    transport.send(ADVERT);
    expect((await peer.next()).bytes).toEqual(Buffer.from(ADVERT));
  });

  it('counts a failed send and keeps going', async () => {
    // Sending to the limited broadcast address without SO_BROADCAST fails with EACCES (ip(7)).
    const peer = await listener();
    const transport = await open({ peers: [{ address: '255.255.255.255', port: 5999 }, { address: '127.0.0.1', port: peer.port }] });
    transport.send(ADVERT);
    await peer.next();
    await expect.poll(() => transport.counters().sendErrors).toBe(1);
    expect(transport.counters()).toMatchObject({ datagramsSent: 1, lastSendError: 'EACCES' });
  });
});

describe('UdpTransport errors', () => {
  it('a port in use is a bind error naming address:port, with a hint', async () => {
    const holderPort = (await listener('udp4', '127.0.0.1')).port;
    const error = await openError({ port: holderPort });
    expect(error).toMatchObject({ code: 'TANDEM_ELECTION_BIND', errno: 'EADDRINUSE' });
    expect(error.message).toContain(`127.0.0.1:${holderPort}`);
    expect(error.message).toContain('another process');
  });

  it('an address this host does not have is a bind error that says so', async () => {
    const error = await openError({ bindAddresses: ['192.0.2.77'], port: 5999 });
    expect(error).toMatchObject({ code: 'TANDEM_ELECTION_BIND', errno: 'EADDRNOTAVAIL' });
    expect(error.message).toContain('192.0.2.77:5999');
    expect(error.message).toContain('not configured on this host');
  });

  it('a peer of a family with no bind address is refused before anything is bound', async () => {
    const error = await openError({ peers: [{ address: '2001:db8::2', port: 5999 }] });
    expect(error.code).toBe('TANDEM_ELECTION_TRANSPORT');
    expect(error.message).toContain('[2001:db8::2]:5999');
  });

  it('a failed second bind releases the first socket', async () => {
    const port = await freePort();
    await openError({ bindAddresses: ['127.0.0.1', '192.0.2.77'], port });
    // The port is free again: a transport can bind it.
    const transport = await open({ port });
    expect(transport.boundEndpoints()).toEqual([{ address: '127.0.0.1', port }]);
  });
});

describe('UdpTransport, multicast', () => {
  it('sends to the group on the interface and receives the group; its own adverts are dropped', async () => {
    const group = '239.255.77.41';
    const port = await freePort();
    const member = await listener('udp4', group, port);
    member.socket.addMembership(group, '127.0.0.1');
    const received: Uint8Array[] = [];
    const transport = await open(
      { mode: 'multicast', port, multicast: { group, interfaceAddress: '127.0.0.1' }, ownAddresses: ['127.0.0.1'] },
      (bytes) => received.push(bytes),
    );
    transport.send(ADVERT);
    expect((await member.next()).bytes).toEqual(Buffer.from(ADVERT));
    const sender = await listener();
    sender.socket.setMulticastInterface('127.0.0.1');
    sender.socket.send(Buffer.from('from a peer'), port, group);
    await expect.poll(() => received.length).toBe(1);
    expect(Buffer.from(received[0]!).toString()).toBe('from a peer');
    // On lo every multicast frame sent comes back in (IP_MULTICAST_LOOP only governs the local
    // copy on a real interface), so our own advert arrived: it is dropped as fromSelf, unseen.
    expect(transport.counters()).toMatchObject({ datagramsReceived: 1, fromSelf: 1 });
  });
});
