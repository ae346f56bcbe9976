/**
 * udp-transport: the election's only socket code (node:dgram). It sends each advert to the
 * configured peers (unicast, the default, which works where multicast does not: clouds, switches
 * with IGMP snooping) or to a multicast group, and hands every received datagram to the driver.
 *
 * - One socket per bind address, udp4 or udp6 by the address's family.
 * - Multicast: the socket binds the group address itself (Linux then delivers only that group's
 *   datagrams to it, and picks the source address from the outgoing interface, ip(7)), joins the
 *   group on the configured interface, sends with TTL 1 (link-local: an advert has no business
 *   leaving the segment) and with loopback off, so our own adverts do not come back.
 * - A datagram from one of our own endpoints is dropped and counted (a peer list that names us,
 *   a looped-back multicast); the core would refuse it as unknown-peer anyway.
 * - Send errors are counted and the last one kept; they never throw: the next advert is the retry.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { formatHostPort } from '../net/host-port.js';

/** UdpEndpoint is one address and port. */
export interface UdpEndpoint {
  readonly address: string;
  readonly port: number;
}

/** ElectionTransportOptions say where adverts go and where they are received. */
export interface ElectionTransportOptions {
  readonly mode: 'unicast' | 'multicast';
  /** port is the UDP port this node binds (config `election.port`). */
  readonly port: number;
  /**
   * bindAddresses: unicast binds one socket per address (the node's own `addresses`, or 0.0.0.0
   * / ::). Multicast ignores them and binds the group.
   */
  readonly bindAddresses: readonly string[];
  /** peers are the unicast destinations: every address of every other node, with its port. */
  readonly peers: readonly UdpEndpoint[];
  /** ownAddresses are this node's addresses; datagrams from them on our port are our own. */
  readonly ownAddresses: readonly string[];
  /**
   * multicast: the group and the local interface to join it on: for IPv4 the interface's
   * address, for IPv6 `::%ifname` (node:dgram's form of an interface index).
   */
  readonly multicast?: { readonly group: string; readonly interfaceAddress: string };
}

/** TransportCounters are the socket-level numbers for status and metrics. */
export interface TransportCounters {
  readonly datagramsSent: number;
  readonly datagramsReceived: number;
  /** fromSelf counts datagrams dropped because they came from one of our own endpoints. */
  readonly fromSelf: number;
  readonly sendErrors: number;
  /** lastSendError is the errno code of the latest failed send (EHOSTUNREACH, ENETUNREACH…). */
  readonly lastSendError: string | null;
}

/** ElectionTransportError is a socket that could not be set up; the message names address:port. */
export class ElectionTransportError extends Error {
  override readonly name = 'ElectionTransportError';
  /** code is TANDEM_ELECTION_BIND for bind failures, TANDEM_ELECTION_TRANSPORT otherwise. */
  readonly code: 'TANDEM_ELECTION_BIND' | 'TANDEM_ELECTION_TRANSPORT';
  /** errno is the system error code behind it (EADDRINUSE…), when there is one. */
  readonly errno: string | null;

  constructor(code: ElectionTransportError['code'], message: string, errno: string | null, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.errno = errno;
  }
}

/** AdvertTransport is what the driver needs from a transport: send one advert to every peer. */
export interface AdvertTransport {
  send(bytes: Uint8Array): void;
  counters(): TransportCounters;
}

/** MULTICAST_TTL keeps adverts on the local segment (see the file comment). */
const MULTICAST_TTL = 1;

interface Route {
  readonly socket: Socket;
  readonly destination: UdpEndpoint;
}

/** UdpTransport is an open set of election sockets; close() releases them. */
export class UdpTransport implements AdvertTransport {
  readonly #sockets: readonly Socket[];
  readonly #routes: readonly Route[];
  readonly #own: ReadonlySet<string>;
  readonly #onDatagram: (bytes: Uint8Array) => void;
  #counters: { -readonly [K in keyof TransportCounters]: TransportCounters[K] } = {
    datagramsSent: 0,
    datagramsReceived: 0,
    fromSelf: 0,
    sendErrors: 0,
    lastSendError: null,
  };

  private constructor(sockets: readonly Socket[], routes: readonly Route[], own: ReadonlySet<string>, onDatagram: (bytes: Uint8Array) => void) {
    this.#sockets = sockets;
    this.#routes = routes;
    this.#own = own;
    this.#onDatagram = onDatagram;
    for (const socket of sockets) {
      socket.on('message', (message, remote) => {
        this.#receive(message, remote);
      });
      // After bind, an 'error' is an asynchronous send failure (ICMP unreachable): count it.
      socket.on('error', (error) => {
        this.#sendFailed(error);
      });
    }
  }

  /**
   * open binds every socket and resolves once they all listen. It rejects with an
   * ElectionTransportError (and closes what it opened) if any bind fails.
   */
  static async open(options: ElectionTransportOptions, onDatagram: (bytes: Uint8Array) => void): Promise<UdpTransport> {
    const plans = options.mode === 'multicast' ? [multicastPlan(options)] : unicastPlans(options);
    const sockets: Socket[] = [];
    try {
      for (const plan of plans) sockets.push(await bindSocket(plan.bind, plan.multicastInterface));
    } catch (error) {
      await Promise.all(sockets.map(closeSocket));
      throw error;
    }
    const routes = plans.flatMap((plan, index) => plan.destinations.map((destination) => ({ socket: sockets[index] as Socket, destination })));
    const own = new Set([...options.ownAddresses, ...options.bindAddresses].map((address) => formatEndpoint({ address, port: options.port })));
    for (const socket of sockets) own.add(formatEndpoint(socket.address()));
    return new UdpTransport(sockets, routes, own, onDatagram);
  }

  /** boundEndpoints are the addresses and ports the sockets listen on (port 0 resolved). */
  boundEndpoints(): UdpEndpoint[] {
    return this.#sockets.map((socket) => {
      const { address, port } = socket.address();
      return { address, port };
    });
  }

  /** send puts one advert on the wire to every destination; failures are counted, not thrown. */
  send(bytes: Uint8Array): void {
    for (const route of this.#routes) {
      try {
        route.socket.send(bytes, route.destination.port, route.destination.address, (error) => {
          if (error === null) this.#counters.datagramsSent += 1;
          else this.#sendFailed(error);
        });
      } catch (error) {
        // Only after close() (ERR_SOCKET_DGRAM_NOT_RUNNING); count it like any failed send.
        this.#sendFailed(error as Error);
      }
    }
  }

  /** counters is a snapshot of the socket counters. */
  counters(): TransportCounters {
    return { ...this.#counters };
  }

  /** close releases every socket; datagrams still queued are dropped. */
  async close(): Promise<void> {
    await Promise.all(this.#sockets.map(closeSocket));
  }

  #receive(message: Buffer, remote: RemoteInfo): void {
    if (this.#own.has(formatEndpoint(remote))) {
      this.#counters.fromSelf += 1;
      return;
    }
    this.#counters.datagramsReceived += 1;
    this.#onDatagram(message);
  }

  #sendFailed(error: Error): void {
    this.#counters.sendErrors += 1;
    this.#counters.lastSendError = (error as NodeJS.ErrnoException).code ?? error.message;
  }
}

interface SocketPlan {
  readonly bind: UdpEndpoint;
  readonly destinations: readonly UdpEndpoint[];
  readonly multicastInterface?: string;
}

function unicastPlans(options: ElectionTransportOptions): SocketPlan[] {
  if (options.bindAddresses.length === 0) throw transportError('unicast needs at least one bind address');
  const plans = options.bindAddresses.map((address) => ({ bind: { address, port: options.port }, destinations: [] as UdpEndpoint[] }));
  for (const peer of options.peers) {
    // Each peer address is reached from the first socket of its family.
    const plan = plans.find((candidate) => isIP(candidate.bind.address) === isIP(peer.address));
    if (plan === undefined) {
      throw transportError(`peer ${formatEndpoint(peer)} has no bind address of its family; add an ${isIP(peer.address) === 6 ? 'IPv6' : 'IPv4'} address`);
    }
    plan.destinations.push(peer);
  }
  return plans;
}

function multicastPlan(options: ElectionTransportOptions): SocketPlan {
  if (options.multicast === undefined) throw transportError('multicast mode needs a multicast group and interface');
  const group = { address: options.multicast.group, port: options.port };
  return { bind: group, destinations: [group], multicastInterface: options.multicast.interfaceAddress };
}

async function bindSocket(bind: UdpEndpoint, multicastInterface: string | undefined): Promise<Socket> {
  const family = isIP(bind.address);
  if (family === 0) throw transportError(`bind address '${bind.address}' is not an IP address`);
  const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: multicastInterface !== undefined });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(bind.port, bind.address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await closeSocket(socket);
    throw bindError(bind, error as NodeJS.ErrnoException);
  }
  if (multicastInterface !== undefined) {
    try {
      socket.addMembership(bind.address, multicastInterface);
      socket.setMulticastInterface(multicastInterface);
      socket.setMulticastTTL(MULTICAST_TTL);
      socket.setMulticastLoopback(false);
    } catch (error) {
      await closeSocket(socket);
      const errno = (error as NodeJS.ErrnoException).code ?? null;
      throw new ElectionTransportError(
        'TANDEM_ELECTION_TRANSPORT',
        `election: cannot join multicast group ${bind.address} on ${multicastInterface} (${errno ?? 'error'}); check that the interface address is this node's and the interface is up`,
        errno,
        { cause: error },
      );
    }
  }
  return socket;
}

function bindError(bind: UdpEndpoint, error: NodeJS.ErrnoException): ElectionTransportError {
  const errno = error.code ?? null;
  const hint =
    errno === 'EADDRINUSE'
      ? 'another process (a second tandem, keepalived?) holds the port; stop it or choose another election.port'
      : errno === 'EADDRNOTAVAIL'
        ? 'the address is not configured on this host; check this node\'s `addresses` (or bindAddress) and that the interface is up'
        : errno === 'EACCES'
          ? 'ports below 1024 need CAP_NET_BIND_SERVICE; use the default port 5999'
          : 'check the bind address and port';
  return new ElectionTransportError('TANDEM_ELECTION_BIND', `election: cannot bind UDP ${formatEndpoint(bind)} (${errno ?? error.message}): ${hint}`, errno, {
    cause: error,
  });
}

function transportError(message: string): ElectionTransportError {
  return new ElectionTransportError('TANDEM_ELECTION_TRANSPORT', `election: ${message}`, null);
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => {
        resolve();
      });
    } catch {
      // Already closed (ERR_SOCKET_DGRAM_NOT_RUNNING): nothing left to release.
      resolve();
    }
  });
}

/**
 * formatEndpoint writes 192.0.2.1:5999 or [2001:db8::1]:5999: for messages, and as the key of
 * the own-endpoint set that received datagrams are checked against.
 */
function formatEndpoint(endpoint: UdpEndpoint): string {
  return formatHostPort(endpoint.address, endpoint.port);
}
