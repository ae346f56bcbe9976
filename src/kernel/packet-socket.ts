/**
 * packet-socket: send whole Ethernet frames (gratuitous ARP, unsolicited neighbour
 * advertisements) and, for tests and diagnostics, receive the frames of one EtherType on one
 * interface. The frames themselves are built and parsed elsewhere, in pure TypeScript.
 */
import { type ErrnoException, type NativePacketSocket, loadNative } from './native.js';

/** EtherTypes (<linux/if_ether.h>). */
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;

/** PacketListener receives frames (Ethernet header included) or a socket error. */
export interface PacketListener {
  onFrame(frame: Buffer): void;
  onError(error: ErrnoException): void;
}

/**
 * PacketSocket is an AF_PACKET SOCK_RAW socket. The owner of the announcements keeps one
 * sender for the daemon's life. Errors are Node-style errno errors from the addon (EBADF after
 * close, ENXIO/ENETDOWN for a missing or down interface, EINVAL for a frame under 14 bytes).
 */
export class PacketSocket {
  private readonly socket: NativePacketSocket;

  private constructor(socket: NativePacketSocket) {
    this.socket = socket;
  }

  /** openSender opens a send-only socket (protocol 0 receives nothing, packet(7)). */
  static openSender(): PacketSocket {
    const { PacketSocket: NativeSocket } = loadNative();
    return new PacketSocket(new NativeSocket(0, 0));
  }

  /**
   * openReceiver opens a socket bound to `etherType` on interface `ifindex` and delivers every
   * frame seen there, in both directions, to `listener` until close().
   */
  static openReceiver(ifindex: number, etherType: number, listener: PacketListener): PacketSocket {
    const { PacketSocket: NativeSocket } = loadNative();
    const socket = new NativeSocket(etherType, ifindex);
    socket.listen((error, frames) => {
      for (const frame of frames) listener.onFrame(frame);
      if (error !== null) listener.onError(error);
    });
    return new PacketSocket(socket);
  }

  /**
   * sendFrame sends `frame` out of interface `ifindex` as is: the destination MAC and
   * EtherType are read from its Ethernet header.
   */
  sendFrame(ifindex: number, frame: Buffer): void {
    this.socket.sendFrame(ifindex, frame);
  }

  /** close stops receiving and closes the socket; safe to call twice. */
  close(): void {
    this.socket.close();
  }
}
