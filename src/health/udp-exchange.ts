/**
 * udp-exchange: the datagram half the udp and dns checks share. A socket of the target's
 * family, bound to the source address when one is set, connect()ed to the target so that Linux
 * turns an ICMP port unreachable into ECONNREFUSED on it (udp(7), "ERRORS"), and one datagram sent.
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Finish, Release } from './attempt.js';
import { failureFromError } from './socket-failure.js';

/** UdpExchange says where to send what, and who hears the replies. */
export interface UdpExchange {
  readonly address: string;
  readonly port: number;
  readonly sourceAddress: string | null;
  readonly payload: Uint8Array;
  /** onReply sees every datagram until the attempt finishes; it may ignore one (a stray reply). */
  readonly onReply: (datagram: Buffer) => void;
}

/** sendDatagram starts the exchange; socket errors finish the attempt. It returns the socket's release. */
export function sendDatagram(exchange: UdpExchange, finish: Finish): Release {
  const socket = createSocket(isIPv6(exchange.address) ? 'udp6' : 'udp4');
  socket.once('error', (error) => {
    finish(failureFromError(error));
  });
  socket.on('message', exchange.onReply);
  const send = (): void => {
    socket.connect(exchange.port, exchange.address, () => {
      socket.send(exchange.payload);
    });
  };
  if (exchange.sourceAddress === null) send();
  else socket.bind({ address: exchange.sourceAddress, port: 0, exclusive: true }, send);
  return () => {
    socket.close();
  };
}
